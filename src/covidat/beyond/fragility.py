"""The fragility index of a significant two-arm comparison of event counts (Walsh et al., 2014).

In the arm with fewer events, patients without the event are turned, one at a time, into patients
with it, until the two-sided Fisher exact p-value reaches `alpha`; the index is how many were turned.
It is defined only for a significant result (p < alpha) on a binary outcome.
"""
from covidat.endpoints import fisher_p


def fragility_index(events_a: int, n_a: int, events_b: int, n_b: int, alpha: float = 0.05) -> int:
    """Smallest number of non-events turned into events, in the arm with fewer events, for p >= alpha."""
    if fisher_p(events_a, n_a, events_b, n_b) >= alpha:
        raise ValueError("the fragility index is defined only for a significant result")
    swap = events_a > events_b  # put the arm with fewer events first (arm a on a tie, as counted)
    (e, n), other = ((events_b, n_b), (events_a, n_a)) if swap else ((events_a, n_a), (events_b, n_b))
    for turned in range(1, n - e + 1):
        if fisher_p(e + turned, n, *other) >= alpha:
            return turned
    raise ValueError("no number of changed events makes the result non-significant")
