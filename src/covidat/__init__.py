"""Helper library of the COVID-AT book, in layers; each imports only from the layers above it in this list.

data/            what the book reads: the dataset contract, the published claims, clinical coherence, the literature
endpoints/       one function per analysis of a dataset, each returning an EndpointResult (`analyse`, `results`)
reconstruction/  the model of patients conditioned on the claims (sampler), and what it pins down across many datasets
beyond/          analyses beyond the paper: the claims checked against a dataset (scorecard), effect sizes,
                 Bayesian posteriors, fragility, multiplicity, what the abstract's numbers imply of each other
planning/        what a next trial would need: power, its Monte Carlo simulation, the effects to plan for
book/            the book's machinery: Sphinx extensions (build, site), charts, tables, the dataset notice

A new analysis of a dataset goes in endpoints/ (a module per endpoint family); an analysis of published numbers
or of several results in beyond/; a chart in book/charts.py. `python -m covidat` is the command line.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
