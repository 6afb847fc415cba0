"""Tables for readers: labels and units instead of column ids, spanners over groups of columns, a
caption, footnotes and a source note, stable HTML, the same way for every table of the book.

`table(frame, labels)` keeps only the labelled columns, in the order given, and renders them with
pandas' Styler under a fixed id, so a re-run gives byte-identical HTML (nbval and notebook diffs
stay quiet). The site's stylesheet (covidat.book.site) wraps cells to fit the column and, on a
phone, lets a table too wide scroll in its own box with a cue and its first column in view.
"""
import hashlib
from html import escape

import pandas as pd
from IPython.display import HTML


def table(frame: pd.DataFrame, labels: dict[str, str], caption: str | None = None,
          notes: tuple[str, ...] = (), formats: dict | None = None, na: str = "",
          spanners: dict[str, list[str]] | None = None, source: str | None = None) -> HTML:
    """`labels` maps column ids to reader labels (with units); `formats` maps ids to format
    strings or functions; `spanners` maps a heading to the ids of the adjacent columns it spans;
    `notes` and then `source` (where the numbers come from) are printed under the table."""
    shown = frame[list(labels)]
    uid = hashlib.sha256(shown.to_csv().encode() + str(labels).encode()
                         + (str(spanners).encode() if spanners else b"")).hexdigest()[:10]
    if spanners:
        over = {column: heading for heading, columns in spanners.items() for column in columns}
        unknown = set(over) - set(labels)
        if unknown:
            raise ValueError(f"spanners name columns that are not shown: {sorted(unknown)}")
        relabelled = shown.copy()
        relabelled.columns = pd.MultiIndex.from_tuples([(over.get(c, ""), labels[c]) for c in labels])
        styler = relabelled.style.hide(axis="index").format(
            {(over.get(c, ""), labels[c]): f for c, f in (formats or {}).items()}, na_rep=na)
    else:
        styler = (shown.style.hide(axis="index").format(formats or {}, na_rep=na)
                  .relabel_index(list(labels.values()), axis="columns"))
    if caption:
        styler = styler.set_caption(escape(caption))
    html = styler.set_uuid(uid).to_html()
    footer = "".join(f'<p class="covidat-table-note">{escape(n)}</p>' for n in notes)
    if source:
        footer += f'<p class="covidat-table-note covidat-table-source">Source: {escape(source)}</p>'
    # A table wider than the column scrolls; keyboard users must be able to reach it to scroll it.
    label = escape(caption or "table", quote=True)
    return HTML(f'<div class="covidat-table" role="region" aria-label="{label}" tabindex="0">{html}{footer}</div>')


def identifier(text: str) -> str:
    """An id (a claim's, a column's) for a table cell, as code with a line-break opportunity after each
    dot and underscore, so that a narrow column wraps it between its parts (a formatter for `table`)."""
    return "<code>" + escape(str(text)).replace(".", ".<wbr>").replace("_", "_<wbr>") + "</code>"
