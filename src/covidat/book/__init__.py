"""The book's machinery.

build   Sphinx extension: one dataset per build, a cache keyed on it, parallel execution, the banner
site    Sphinx extension: every asset the site needs ships with it (no CDN)
mathml  Sphinx extension: math as MathML, converted from TeX when the book is built
charts  the shared Altair theme, the offline renderer and the chart builders
tables  tables for readers: labels, units, captions, stable HTML
notice  the dataset notice on every page with patient-level numbers
"""
