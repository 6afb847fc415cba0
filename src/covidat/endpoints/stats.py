"""Statistics shared by the endpoint analyses and the reconstruction: one convention each.

Each statistic is written once, for a batch of datasets (a leading axis of rows, so the
reconstruction can test many candidate datasets at once); the scalar function the endpoints
call is the batched one applied to a single row.
"""
import fractions
import functools
import math

import numpy as np
from scipy import special  # scipy.stats (a second of imports) only inside the functions that need it

TOLERANCE = 1e-9  # a curve within this of a level (a survival probability of 0.5) sits exactly at it


def _rows(*arrays):
    return [np.atleast_2d(np.asarray(a, float)) for a in arrays]


def welch_p_batch(a, b) -> np.ndarray:
    """Welch two-sample t-test, two-sided, per row; NaN entries (missing values) are left out."""
    a, b = _rows(a, b)
    na, nb = (~np.isnan(a)).sum(1), (~np.isnan(b)).sum(1)
    va, vb = np.nanvar(a, 1, ddof=1) / na, np.nanvar(b, 1, ddof=1) / nb
    t = (np.nanmean(a, 1) - np.nanmean(b, 1)) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))
    return 2 * special.stdtr(df, -np.abs(t))  # stats.t.sf, without its overhead


def welch_p(a, b) -> float:
    return float(welch_p_batch(a, b)[0])


def fisher_p(events_a: int, n_a: int, events_b: int, n_b: int) -> float:
    """Two-sided Fisher's exact test of two proportions."""
    from scipy import stats
    return float(stats.fisher_exact([[events_a, n_a - events_a], [events_b, n_b - events_b]]).pvalue)


@functools.cache
def _fisher_table(n_a: int, n_b: int) -> np.ndarray:
    return np.array([[fisher_p(i, n_a, j, n_b) for j in range(n_b + 1)] for i in range(n_a + 1)])


@functools.cache
def fisher_exact_table(n_a: int, n_b: int) -> np.ndarray:
    """fisher_p of every pair of event counts (row: events in a, column: in b) in exact arithmetic,
    rounded once: the probabilities of the tables no more probable than the observed one, summed as
    fractions. It spares the sampler scipy.stats (a second of imports); scipy's sums of floating-point
    probabilities differ from it in the last bits, so it serves where only a claim's decision counts."""
    def p(i: int, j: int) -> float:
        events = i + j
        tables = [math.comb(n_a, x) * math.comb(n_b, events - x)
                  for x in range(max(0, events - n_b), min(n_a, events) + 1)]
        observed = math.comb(n_a, i) * math.comb(n_b, j)
        return float(fractions.Fraction(sum(t for t in tables if t <= observed), math.comb(n_a + n_b, events)))
    return np.array([[p(i, j) for j in range(n_b + 1)] for i in range(n_a + 1)])


def fisher_p_batch(events_a, n_a: int, events_b, n_b: int) -> np.ndarray:
    """fisher_p for many pairs of counts (arm sizes fixed), by table look-up."""
    return _fisher_table(n_a, n_b)[np.asarray(events_a, int), np.asarray(events_b, int)]


def crossing_time_batch(times, curve, level: float = 0.5) -> np.ndarray:
    """Per row, when a non-increasing step curve (value `curve[i]` from `times[i]` on; NaN entries
    skipped) first falls to `level` or below, with the convention of R's survival package, SAS and
    the ordinary sample median: where it sits at exactly `level`, the midpoint between that time and
    the next time it drops (the time itself when it never drops again); NaN when it never gets there."""
    times, curve = _rows(times, curve)
    reached, below = curve <= level + TOLERANCE, curve < level - TOLERANCE
    rows = np.arange(len(times))
    first, first_below = reached.argmax(1), below.argmax(1)
    crossing = times[rows, first]
    flat = ~below[rows, first] & below.any(1)
    crossing = np.where(flat, (crossing + times[rows, first_below]) / 2, crossing)
    return np.where(reached.any(1), crossing, np.nan)


def crossing_time(times, curve, level: float = 0.5) -> float:
    return float(crossing_time_batch(times, curve, level)[0])


def km_median_batch(times, events) -> np.ndarray:
    """Kaplan–Meier median per row: where the curve crosses 0.5 (`crossing_time_batch`)."""
    times, events = _rows(times, events)
    order = np.lexsort((1 - events, times), axis=1)  # by time, events before censorings at a tie
    t, e = np.take_along_axis(times, order, 1), np.take_along_axis(events, order, 1)
    at_risk = t.shape[1] - np.arange(t.shape[1])
    # Taking the events of a tie one at a time telescopes to the usual factor (1 - d/n).
    surv = np.cumprod(np.where(e == 1, (at_risk - 1) / at_risk, 1.0), axis=1)
    last_of_time = np.c_[t[:, 1:] != t[:, :-1], np.ones(len(t), bool)]
    return crossing_time_batch(t, np.where(last_of_time, surv, np.nan))


def km_median(times, events) -> float:
    return float(km_median_batch(times, events)[0])


def logrank_p_batch(times_a, events_a, times_b, events_b) -> np.ndarray:
    """Log-rank test (Mantel–Haenszel variance, ties as in R's survdiff), two-sided, per row."""
    ta, ea, tb, eb = _rows(times_a, events_a, times_b, events_b)
    times, events = np.c_[ta, tb], np.c_[ea, eb]
    in_a = np.arange(times.shape[1]) < ta.shape[1]
    # For each patient j: how many are still at risk at j's time (n, n_a in arm a) and how many events
    # fall on it (d, d_a), counted along each row sorted by time (patients in the first axis).
    order = np.argsort(times, 1)
    t = np.take_along_axis(times, order, 1).T
    place = np.arange(len(t))[:, None]
    new = np.r_[np.ones((1, t.shape[1]), bool), t[1:] != t[:-1]]  # a tie group starts here
    first = np.maximum.accumulate(np.where(new, place, 0), 0)
    last = np.minimum.accumulate(np.where(np.r_[new[1:], new[:1]], place, len(t) - 1)[::-1], 0)[::-1]
    sorted_events, sorted_a = np.take_along_axis(events == 1, order, 1).T, in_a[order].T
    unsort = np.empty_like(order)
    np.put_along_axis(unsort, order, np.arange(order.shape[1])[None, :], 1)
    def at_or_after(flags):
        return np.take_along_axis(np.cumsum(flags[::-1], 0)[::-1], first, 0)
    def tied(flags):
        before = np.r_[np.zeros((1, t.shape[1]), int), np.cumsum(flags, 0)]
        return np.take_along_axis(before[1:], last, 0) - np.take_along_axis(before[:-1], first, 0)
    def by_patient(counts):  # back from sorted places to patients, rows first
        return np.ascontiguousarray(np.take_along_axis(counts.T, unsort, 1))
    n, n_a = by_patient(at_or_after(np.ones_like(sorted_a))), by_patient(at_or_after(sorted_a))
    d, d_a = by_patient(tied(sorted_events)), by_patient(tied(sorted_events & sorted_a))
    return np.where(np.isnan(times).any(1), np.nan, _logrank_p(events, n, n_a, d, d_a))  # a missing time: NaN


def _per_value(x, values, weights=None) -> np.ndarray:
    """Per row of x (whose entries are all among the sorted `values`): how many entries equal each
    value, or the sum of their `weights`; a (len(x), len(values)) array."""
    index = (np.arange(len(x))[:, None] * len(values) + np.searchsorted(values, x)).ravel()
    size = len(x) * len(values)
    return np.bincount(index, None if weights is None else np.ravel(weights), size).reshape(len(x), len(values))


def logrank_p_pairs(times_a, events_a, times_b, events_b, i, j) -> np.ndarray:
    """logrank_p_batch of rows i[k] of arm a against rows j[k] of arm b, for each k, from counts per row
    and distinct time in each arm (for times with few distinct values, such as whole days)."""
    ta, ea, tb, eb = _rows(times_a, events_a, times_b, events_b)
    values = np.unique(np.r_[ta.ravel(), tb.ravel()])
    def counts(times, events):  # per row and value: how many at or after it, how many events at it
        at, event = _per_value(times, values), _per_value(times, values, events == 1).astype(int)
        return np.cumsum(at[:, ::-1], 1)[:, ::-1], event, np.searchsorted(values, times)
    (after_a, event_a, place_a), (after_b, event_b, place_b) = counts(ta, ea), counts(tb, eb)
    i, j = np.asarray(i, int), np.asarray(j, int)
    places = np.c_[place_a[i], place_b[j]]
    n_a, d_a = after_a[i[:, None], places], event_a[i[:, None], places]
    n, d = n_a + after_b[j[:, None], places], d_a + event_b[j[:, None], places]
    missing = np.isnan(ta).any(1)[i] | np.isnan(tb).any(1)[j]
    return np.where(missing, np.nan, _logrank_p(np.c_[ea[i], eb[j]], n, n_a, d, d_a))


def _logrank_p(events, n, n_a, d, d_a) -> np.ndarray:
    """The log-rank p from each patient's counts (rows of patients, arm a first, whole numbers): at
    risk at their time (n, n_a in arm a) and events at it (d, d_a); NaN for a row without events."""
    n_a, d_a = n_a.astype(float), d_a.astype(float)
    # Sum over distinct event times, as a sum over events each weighted 1/d.
    weight = np.where(events == 1, 1 / np.maximum(d, 1), 0.0)
    observed_minus_expected = (weight * (d_a - d * n_a / n)).sum(1)
    variance = (weight * d * (n_a / n) * (1 - n_a / n) * (n - d) / np.maximum(n - 1, 1)).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):  # no events: variance 0, p NaN
        return special.chdtrc(1, observed_minus_expected ** 2 / variance)


def logrank_p(times_a, events_a, times_b, events_b) -> float:
    return float(logrank_p_batch(times_a, events_a, times_b, events_b)[0])


def _mann_whitney_p(u, tie_sum, n1: int, n2: int) -> np.ndarray:
    """Two-sided p of U from the normal approximation with tie and continuity correction;
    `tie_sum` is the sum of t^3 - t over groups of t tied values. NaN where every value is tied or
    there are fewer than two values."""
    n = n1 + n2
    with np.errstate(divide="ignore", invalid="ignore"):  # sigma 0 or undefined: p NaN
        sigma = np.sqrt(n1 * n2 / 12 * ((n + 1) - tie_sum / (n * (n - 1))))
        z = (np.maximum(u, n1 * n2 - u) - n1 * n2 / 2 - 0.5) / sigma
    return np.minimum(2 * special.ndtr(-z), 1.0)  # stats.norm.sf, without its overhead


def mann_whitney_p_batch(a, b) -> np.ndarray:
    """Mann–Whitney U, two-sided, normal approximation with tie and continuity correction
    (R's wilcox.test default when there are ties), per row."""
    a, b = _rows(a, b)
    u = ((a[:, :, None] > b[:, None, :]) + 0.5 * (a[:, :, None] == b[:, None, :])).sum((1, 2))
    both = np.c_[a, b]
    tied = (both[:, :, None] == both[:, None, :]).sum(2)  # each value's tie group size t
    return _mann_whitney_p(u, (tied ** 2 - 1).sum(1), a.shape[1], b.shape[1])


@functools.cache
def mann_whitney_null(n1: int, n2: int) -> np.ndarray:
    """P(U = u), u = 0..n1*n2, for two samples without ties (the exact null distribution)."""
    # counts[i][j] holds the U distribution for i and j observations; add one observation at a time.
    counts = {(0, j): np.array([1.0]) for j in range(n2 + 1)}
    counts.update({(i, 0): np.array([1.0]) for i in range(n1 + 1)})
    for i in range(1, n1 + 1):
        for j in range(1, n2 + 1):
            # the largest value is from sample 1 (it beats all j of sample 2) or from sample 2
            a, b = np.r_[np.zeros(j), counts[(i - 1, j)]], counts[(i, j - 1)]
            size = max(len(a), len(b))
            counts[(i, j)] = np.pad(a, (0, size - len(a))) + np.pad(b, (0, size - len(b)))
    return counts[(n1, n2)] / counts[(n1, n2)].sum()


MANN_WHITNEY_VARIANTS = ("published", "normal", "exact")


def mann_whitney_u_p(variant: str, u, tie_sum, n1: int, n2: int) -> np.ndarray:
    """Two-sided p of U (ties counting half; `tie_sum`: sum of t^3 - t over groups of t tied values)
    as a variant of the test computes it: "published" (normal approximation, tie and continuity
    corrections: mann_whitney_p), "normal" (tie correction, no continuity correction) or "exact"
    (the exact null of untied data, ties ignored), as mann_whitney_variant_p_batch does."""
    u, tie_sum = np.asarray(u, float), np.asarray(tie_sum, float)
    if variant == "published":
        return _mann_whitney_p(u, tie_sum, n1, n2)
    if variant == "normal":
        n = n1 + n2
        sigma = np.sqrt(n1 * n2 / 12 * ((n + 1) - tie_sum / (n * (n - 1))))
        return np.minimum(2 * special.ndtr(-np.abs(u - n1 * n2 / 2) / sigma), 1.0)
    if variant != "exact":
        raise ValueError(f"unknown variant {variant!r}; choose from {MANN_WHITNEY_VARIANTS}")
    cdf = np.r_[0.0, np.cumsum(mann_whitney_null(n1, n2))]  # cdf[k] = P(U < k)
    below = cdf[np.floor(u).astype(int) + 1]  # P(U <= u)
    above = 1 - cdf[np.ceil(u).astype(int)]  # P(U >= u)
    return np.minimum(2 * np.minimum(below, above), 1.0)


@functools.cache
def _mann_whitney_table(n1: int, n2: int, variant: str = "published") -> np.ndarray:
    """mann_whitney_u_p for every U (row: 2U) and tie sum (column) two arms of these sizes can have."""
    n = n1 + n2
    u, tie_sum = np.arange(2 * n1 * n2 + 1)[:, None] / 2, np.arange(n ** 3 - n + 1)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):  # the grid holds combinations no data can have
        return np.ascontiguousarray(np.broadcast_to(mann_whitney_u_p(variant, u, tie_sum, n1, n2),
                                                    (len(u), tie_sum.shape[1])))


def _products(x, y) -> np.ndarray:
    """x @ y.T, in blocks of rows small enough (m * n * k < 2**19) that OpenBLAS computes each on one
    thread: at the sizes mann_whitney_p_pairs meets, its threads cost far more than they save, most of
    all on cores that other processes (the sampler's workers) keep busy."""
    out = np.empty((len(x), len(y)))
    step = max(1, (2 ** 19 - 1) // max(1, y.size))
    for start in range(0, len(x), step):
        np.matmul(x[start:start + step], y.T, out=out[start:start + step])
    return out


def mann_whitney_p_pairs(a, b, variant: str = "published") -> np.ndarray:
    """The p of a variant of the test (mann_whitney_u_p) for every row of `a` against every row of
    `b`: a (len(a), len(b)) matrix, computed at once from counts of each distinct value: the place of
    each pair's U and tie sum in the table of p is a sum of products of those counts (whole numbers,
    exact in floating point), so one matrix product gives them all."""
    a, b = _rows(a, b)
    values = np.unique(np.r_[a.ravel(), b.ravel()])
    ha, hb = _per_value(a, values).astype(float), _per_value(b, values).astype(float)
    table = _mann_whitney_table(a.shape[1], b.shape[1], variant)
    width = table.shape[1]
    # 2U (pairs with a's value above b's, ties counting half) is sum over values of twice_above(a) * cb;
    # the tie sum, sum over values of (ca + cb)^3 - (ca + cb), expanded: ca^3 + cb^3 + 3 ca^2 cb + 3 ca cb^2
    # - ca - cb. Place in the flattened table: 2U * width + tie sum.
    twice_above = _products(ha, 2 * np.triu(np.ones((len(values), len(values))), 1) + np.eye(len(values)))
    ones_a, ones_b = np.ones((len(a), 1)), np.ones((len(b), 1))
    left = np.c_[width * twice_above + 3 * ha ** 2, 3 * ha, (ha ** 3).sum(1, keepdims=True) - a.shape[1], ones_a]
    right = np.c_[hb, hb ** 2, ones_b, (hb ** 3).sum(1, keepdims=True) - b.shape[1]]
    return table.ravel()[_products(left, right).astype(int)]


def mann_whitney_p(a, b) -> float:
    return float(mann_whitney_p_batch(a, b)[0])


def mann_whitney_variant_p_batch(a, b, exact: bool) -> np.ndarray:
    """Mann–Whitney U, two-sided, per row, as two other software defaults compute it: the exact null
    distribution for untied data, ties ignored (exact=True), or the normal approximation with tie
    correction and no continuity correction (exact=False)."""
    from scipy import stats
    a, b = _rows(a, b)
    options = {"method": "exact"} if exact else {"method": "asymptotic", "use_continuity": False}
    return stats.mannwhitneyu(a, b, axis=1, **options).pvalue


def min_sd_not_significant(difference: float, n_per_arm: int, alpha: float = 0.05) -> float:
    """The smallest common within-arm SD for which a two-sided two-sample t-test of `difference`
    (equal arms, equal SDs: Student's and Welch's t coincide) gives p >= alpha.

    p >= alpha  <=>  |difference| / (SD * sqrt(2 / n)) <= t_{1 - alpha/2, 2n - 2}; any smaller SD
    would have made the difference significant, so "not significant" means SD >= this bound.
    """
    from scipy import stats
    t_crit = stats.t.ppf(1 - alpha / 2, 2 * n_per_arm - 2)
    return abs(difference) / (t_crit * math.sqrt(2 / n_per_arm))
