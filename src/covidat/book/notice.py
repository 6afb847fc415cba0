"""The notice at the top of every page that shows patient-level numbers: which dataset, and what it is."""
from IPython.display import Markdown

from covidat.data import Dataset, load_dataset

RECONSTRUCTED = """:::{{admonition}} Reconstructed data, not the trial's records
:class: warning
The patient-level numbers on this page come from a **reconstructed** dataset (`{name}`):
{n} synthetic patients generated so that every number published in the trial's abstract is
reproduced, under assumptions listed in {{ref}}`data-sources`.
They are not the trial's patients. Anything not pinned down by the publication is an
assumption, and is shown as one.
:::"""

SUPPLIED = """:::{{admonition}} Supplied data, not the book's reconstruction
:class: important
The patient-level numbers on this page come from the dataset in `{name}` ({n} patients), supplied
when the book was built. They are not the book's reconstruction; whether they are the trial's
records is for whoever supplied them to say. {{ref}}`scorecard` shows which published claims they
reproduce.
:::"""


def data_notice(dataset: Dataset | None = None) -> Markdown:
    """The admonition for the dataset the book is built from (display it in a `remove-input` cell)."""
    dataset = dataset or load_dataset()
    template = RECONSTRUCTED if dataset.is_reconstruction else SUPPLIED
    return Markdown(template.format(name=dataset.name, n=len(dataset.patients)))
