"""Tables for readers: labels and units instead of column ids, a caption, footnotes, stable HTML.

`table(frame, labels)` keeps only the labelled columns, in the order given, and renders them
with pandas' Styler under a fixed id, so a re-run gives byte-identical HTML (nbval and notebook
diffs stay quiet).
"""
import hashlib
from html import escape

import pandas as pd
from IPython.display import HTML


def table(frame: pd.DataFrame, labels: dict[str, str], caption: str | None = None,
          notes: tuple[str, ...] = (), formats: dict | None = None, na: str = "") -> HTML:
    """`labels` maps column ids to reader labels (with units); `formats` maps ids to format
    strings or functions; `notes` are printed under the table."""
    shown = frame[list(labels)]
    styler = (shown.style.hide(axis="index").format(formats or {}, na_rep=na)
              .relabel_index(list(labels.values()), axis="columns"))
    if caption:
        styler = styler.set_caption(escape(caption))
    uid = hashlib.sha256(shown.to_csv().encode() + str(labels).encode()).hexdigest()[:10]
    html = styler.set_uuid(uid).to_html()
    footer = "".join(f'<p class="covidat-table-note">{escape(n)}</p>' for n in notes)
    # A table wider than the column scrolls; keyboard users must be able to reach it to scroll it.
    label = escape(caption or "table", quote=True)
    return HTML(f'<div class="covidat-table" role="region" aria-label="{label}" tabindex="0" '
                f'style="overflow-x: auto">{html}{footer}</div>')
