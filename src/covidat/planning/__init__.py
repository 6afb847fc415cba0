"""Planning the next trial.

power       closed-form power and sample size of a two-arm comparison
simulation  vectorised Monte Carlo power of a two-arm trial, beside the closed forms
next_trial  the effects a confirmatory trial would be planned for, and their sources
"""
