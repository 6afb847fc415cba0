"""Helper library of the COVID-AT book.

data         the dataset contract: load and validate any dataset directory
reconstruct  the model of patients, conditioned on the claims: reconstructed datasets
coherence    clinical coherence rules: warnings for implausible patients
endpoints    one function per analysis, each returning an EndpointResult
claims       the published claims and the rule that decides whether one holds
scorecard    every claim against a dataset, in words: the page and `python -m covidat check`
literature   other MSC trials and their pooled mortality
power        what a trial of a given size could detect
effects      the effect sizes shown side by side: scale, unit, provenance
bayes        conjugate posteriors (beta-binomial, normal) under sceptical, neutral, enthusiastic priors
fragility    the fragility index of a significant comparison of event counts
multiplicity the published p-values adjusted for multiple testing
trial_simulation  vectorised Monte Carlo power of a two-arm trial, beside the closed forms
next_trial   the effects a confirmatory trial would be planned for, and their sources
consistency  what the abstract's numbers imply of each other
notice       the dataset notice on every page with patient-level numbers
tables       tables for readers: labels, units, captions, stable HTML
charts       the shared Altair theme, the offline renderer and chart builders
site         Sphinx extension that ships every asset the site needs (no CDN)
build        Sphinx extension: one dataset per build, cache keyed on it, parallel execution, banner
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
