"""Which dataset a page shows, said in words: the notice at the top of every page with patient-level
numbers, and the phrase the banner and the footer's build stamp use."""
from IPython.display import Markdown

from covidat.data import Dataset, load_dataset

# The admonition carries this class: the site shows the dataset banner only on pages that have it.
NOTICE_CLASS = "covidat-data-notice"

RECONSTRUCTED = """:::{{admonition}} Reconstructed data, not the trial's records
:class: warning {css}
The patient-level numbers on this page come from {words}:
{n} synthetic patients generated so that every number published in the trial's abstract is
reproduced, under assumptions listed in {{ref}}`data-sources`.
They are not the trial's patients. Anything not pinned down by the publication is an
assumption, and is shown as one.
:::"""

SUPPLIED = """:::{{admonition}} Supplied data, not the book's reconstruction
:class: important {css}
The patient-level numbers on this page come from {words}, supplied when the book was built. They
are not the book's reconstruction; whether they are the trial's records is for whoever supplied
them to say. {{ref}}`scorecard` shows which published claims they reproduce.
:::"""


def dataset_in_words(dataset: Dataset | None = None) -> str:
    """'the book's reconstructed dataset' or 'the supplied dataset "NAME" (N patients)': no path."""
    dataset = dataset or load_dataset()
    if dataset.is_reconstruction:
        return "the book's reconstructed dataset"
    return f'the supplied dataset "{dataset.directory.name}" ({len(dataset.patients)} patients)'


def caption_words(dataset: Dataset | None = None) -> str:
    """The sentence a caption of a chart drawn from patients ends with (MyST `{{ patients }}`)."""
    dataset = dataset or load_dataset()
    if dataset.is_reconstruction:
        return "Drawn from the book's reconstructed patients, not the trial's records."
    return f"Drawn from {dataset_in_words(dataset)}."


def data_notice(dataset: Dataset | None = None) -> Markdown:
    """The admonition for the dataset the book is built from (display it in a `remove-input` cell)."""
    dataset = dataset or load_dataset()
    template = RECONSTRUCTED if dataset.is_reconstruction else SUPPLIED
    return Markdown(template.format(words=dataset_in_words(dataset), n=len(dataset.patients), css=NOTICE_CLASS))
