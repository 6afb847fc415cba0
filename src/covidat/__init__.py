"""Helper library of the COVID-AT book.

data         the dataset contract: load and validate any dataset directory
reconstruct  the model of patients, conditioned on the claims: reconstructed datasets
coherence    clinical coherence rules: warnings for implausible patients
endpoints    one function per analysis, each returning an EndpointResult
claims       the published claims and the rule that decides whether one holds
literature   other MSC trials and their pooled mortality
power        what a trial of a given size could detect
consistency  what the abstract's numbers imply of each other
notice       the dataset notice on every page with patient-level numbers
tables       tables for readers: labels, units, captions, stable HTML
charts       the shared Altair theme, the offline renderer and chart builders
site         Sphinx extension that ships every asset the site needs (no CDN)
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
