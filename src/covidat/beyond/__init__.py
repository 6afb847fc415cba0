"""Analyses beyond the paper.

scorecard     every published claim recomputed from a dataset, with its status (`python -m covidat check`)
effects       the effect sizes side by side: scale, unit, provenance
bayes         conjugate posteriors under sceptical, neutral and enthusiastic priors
fragility     the fragility index of a significant comparison of event counts
multiplicity  the published p-values adjusted for multiple testing
consistency   what the abstract's numbers imply of each other (GRIM and kin)
"""
