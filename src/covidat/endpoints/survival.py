"""Time-to-event estimators the oxygen and hospital analyses share (beyond `stats.km_median`,
`stats.crossing_time` and `stats.logrank_p`): the Kaplan–Meier table with Greenwood confidence bands, the
Brookmeyer–Crowley interval for the median, the Aalen–Johansen cumulative incidence, the Cox
hazard ratio (Efron ties) and the Grambsch–Therneau check of proportional hazards.
"""
import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg

from covidat.endpoints.stats import crossing_time

Z95 = float(stats.norm.ppf(0.975))
TIES = "efron"  # R's coxph default; statsmodels' own default is Breslow


def km_table(times, events, transform: str = "log") -> pd.DataFrame:
    """Kaplan–Meier estimate at every distinct observed time, with numbers at risk, events and a
    pointwise 95% band from Greenwood's variance on the `transform` scale: "log" (R's survfit
    default) or "log-log". Where the estimate is 0 the band is undefined (NaN), as in R."""
    t, e = np.asarray(times, float), np.asarray(events, float)
    rows, surv, greenwood = [], 1.0, 0.0
    for time in np.unique(t):
        at_risk, died = int((t >= time).sum()), int(((t == time) & (e == 1)).sum())
        surv *= 1 - died / at_risk
        greenwood += died / (at_risk * (at_risk - died)) if at_risk > died else np.inf
        rows.append((time, at_risk, died, surv, greenwood))
    table = pd.DataFrame(rows, columns=["time", "at_risk", "events", "survival", "greenwood"])
    s, g = table["survival"].to_numpy(), table["greenwood"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        if transform == "log":
            lower, upper = s * np.exp(-Z95 * np.sqrt(g)), np.minimum(1.0, s * np.exp(Z95 * np.sqrt(g)))
        elif transform == "log-log":
            spread = Z95 * np.sqrt(g) / np.abs(np.log(s))
            lower, upper = s ** np.exp(spread), s ** np.exp(-spread)
            lower, upper = np.where(s == 1, 1.0, lower), np.where(s == 1, 1.0, upper)
        else:
            raise ValueError(f"unknown transform {transform!r}: use 'log' or 'log-log'")
    table["lower"] = np.where(s == 0, np.nan, lower)
    table["upper"] = np.where(s == 0, np.nan, upper)
    return table.drop(columns="greenwood")


def median_ci(times, events, transform: str = "log") -> tuple[float, float]:
    """Brookmeyer–Crowley 95% CI for the median: the times at which the pointwise band of the
    Kaplan–Meier curve crosses 0.5 (as R's print.survfit). NaN where a band never does."""
    table = km_table(times, events, transform)
    return crossing_time(table["time"], table["lower"]), crossing_time(table["time"], table["upper"])


def aalen_johansen(times, causes, cause: int = 1) -> pd.DataFrame:
    """Cumulative incidence of `cause` in the presence of competing causes (0 = censored, any other
    positive code = a competing event): the sum over event times of S(t-) d_cause / n, with S the
    Kaplan–Meier estimate of being free of every cause."""
    t, c = np.asarray(times, float), np.asarray(causes, int)
    rows, free, incidence = [], 1.0, 0.0
    for time in np.unique(t):
        at_risk = (t >= time).sum()
        here = c[t == time]
        incidence += free * (here == cause).sum() / at_risk
        free *= 1 - (here > 0).sum() / at_risk
        rows.append((time, at_risk, incidence))
    return pd.DataFrame(rows, columns=["time", "at_risk", "incidence"])


def _cox_fit(times, events, group, ties: str = TIES):
    """The fitted Cox model, or None where it has no estimate: no event at all, or no event while both
    groups are at risk (the information matrix is then singular)."""
    if not np.any(np.asarray(events, float) == 1):
        return None
    exog = np.asarray(group, float)[:, None]
    try:
        return PHReg(np.asarray(times, float), exog, status=np.asarray(events, float), ties=ties).fit()
    except np.linalg.LinAlgError:
        return None


def cox_hazard_ratio(times, events, group, ties: str = TIES) -> tuple[float, float, float]:
    """Hazard ratio of `group` == 1 against 0 with its 95% Wald CI (Cox model; `ties` "efron" or
    "breslow"); NaN where the model has no estimate (_cox_fit)."""
    fit = _cox_fit(times, events, group, ties)
    if fit is None:
        return np.nan, np.nan, np.nan
    beta, se = float(fit.params[0]), float(fit.bse[0])
    return float(np.exp(beta)), float(np.exp(beta - Z95 * se)), float(np.exp(beta + Z95 * se))


def ph_test(times, events, group) -> tuple[float, float]:
    """Grambsch–Therneau test of proportional hazards for a single covariate: the chi-square
    (1 df) for a linear trend of the Schoenfeld residuals in g(t) = 1 - KM(t-), the pooled
    Kaplan–Meier curve just before each event. Returns (chi-square, p); NaN where the Cox model has no
    estimate (_cox_fit)."""
    t, e = np.asarray(times, float), np.asarray(events, float)
    fit = _cox_fit(t, e, group)
    if fit is None:
        return np.nan, np.nan
    residuals = fit.schoenfeld_residuals[e == 1, 0]
    table = km_table(t, e)
    before = np.r_[1.0, table["survival"].to_numpy()[:-1]]
    g = 1 - before[np.searchsorted(table["time"].to_numpy(), t[e == 1])]
    centred = g - g.mean()
    chi2 = e.sum() * float(fit.cov_params()[0, 0]) * (centred @ residuals) ** 2 / (centred @ centred)
    return float(chi2), float(stats.chi2.sf(chi2, 1))


def rmst(times, events, horizon: float) -> tuple[float, float]:
    """Restricted mean survival time to `horizon` (the area under the Kaplan–Meier curve from 0 to
    `horizon`) and its variance: the sum over event times t_j <= horizon of A_j^2 d_j / (n_j (n_j - d_j)),
    A_j the area under the curve from t_j to `horizon` (the Greenwood-type variance of R's
    survRM2 and print.survfit's rmean); a term whose n_j = d_j has A_j = 0 and adds nothing."""
    table = km_table(times, events)
    table = table[table["time"] < horizon]
    knots = np.r_[0.0, table["time"].to_numpy(), horizon]
    level = np.r_[1.0, table["survival"].to_numpy()]  # the curve on [knots[k], knots[k + 1])
    pieces = level * np.diff(knots)
    after = pieces[::-1].cumsum()[::-1][1:]  # A_j: area from each table time to the horizon
    n, d = table["at_risk"].to_numpy(float), table["events"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(after > 0, after ** 2 * d / (n * (n - d)), 0.0)
    return float(pieces.sum()), float(terms.sum())


def censoring_survival(times, causes):
    """G(t-), the Kaplan–Meier probability of not yet being censored just before t (censoring = cause 0),
    as a function of t."""
    table = km_table(times, np.asarray(causes) == 0)
    steps, levels = table["time"].to_numpy(), table["survival"].to_numpy()
    return lambda t: np.where(np.searchsorted(steps, t, "left") > 0,
                              levels[np.maximum(np.searchsorted(steps, t, "left") - 1, 0)], 1.0)


def fine_gray(times, causes, group, cause: int = 1, iterations: int = 50) -> tuple[float, float, float]:
    """Fine–Gray subdistribution hazard ratio of `group` == 1 against 0 for `cause`, with its 95% Wald CI
    (model-based variance; R's cmprsk::crr reports a robust one).

    Patients with a competing event stay in the risk set after it, weighted G(t-)/G(T_i-) (G the
    Kaplan–Meier curve of censoring, cause 0); Efron's rule for tied events. Newton–Raphson from 0.
    NaN without any event of `cause`."""
    t, c, z = (np.asarray(a, float) for a in (times, causes, group))
    if not (c == cause).any():
        return np.nan, np.nan, np.nan
    g = censoring_survival(t, c)
    event_times = np.unique(t[c == cause])
    competing = (c != 0) & (c != cause)
    # weights[k, i]: patient i's weight in the risk set of the k-th event time
    later = t[None, :] >= event_times[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        carried = competing[None, :] & ~later & (g(t)[None, :] > 0)
        weights = np.where(later, 1.0, np.where(carried, g(event_times)[:, None] / g(t)[None, :], 0.0))
    tied = (t[None, :] == event_times[:, None]) & (c[None, :] == cause)
    beta = 0.0
    for _ in range(iterations):
        score, information = _efron_terms(beta, z, weights, tied)
        step = score / information
        beta += step
        if abs(step) < 1e-10:
            break
    se = 1 / np.sqrt(_efron_terms(beta, z, weights, tied)[1])
    with np.errstate(over="ignore", divide="ignore"):  # no finite estimate (all events in one group): inf
        return float(np.exp(beta)), float(np.exp(beta - Z95 * se)), float(np.exp(beta + Z95 * se))


def _efron_terms(beta: float, z, weights, tied) -> tuple[float, float]:
    """Score and information of a weighted Cox partial likelihood in one covariate, Efron ties."""
    risk = np.exp(beta * z)
    score = information = 0.0
    for w, events in zip(weights, tied):
        d = int(events.sum())
        s0, s1, s2 = (w * risk).sum(), (w * risk * z).sum(), (w * risk * z * z).sum()
        e0, e1, e2 = risk[events].sum(), (risk * z)[events].sum(), (risk * z * z)[events].sum()
        score += z[events].sum()
        for share in np.arange(d) / d:
            a0, a1, a2 = s0 - share * e0, s1 - share * e1, s2 - share * e2
            score -= a1 / a0
            information += a2 / a0 - (a1 / a0) ** 2
    return score, information
