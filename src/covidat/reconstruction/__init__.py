"""The reconstruction: synthetic patients consistent with every published number.

sampler  the model of patients (data/reconstructed/assumptions.csv) conditioned on the claims: one dataset or a batch
pinned   the statistics the abstract leaves open, across a batch of consistent datasets
"""
