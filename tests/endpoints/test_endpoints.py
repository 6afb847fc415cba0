"""Re-derive the reproduced p-values and medians with independent textbook formulas."""
import numpy as np
import pytest
from scipy.stats import norm

from covidat import endpoints
from covidat.data.claims import load_claims
from covidat.data import DEFAULT_DATA, load_dataset
from covidat.reconstruction.sampler import ASSUMPTIONS

PATIENTS = load_dataset(DEFAULT_DATA).patients
ARM = {arm: PATIENTS[PATIENTS["arm"] == arm] for arm in endpoints.ARMS}


def test_mann_whitney_matches_formula_with_ties_and_continuity():
    x = ARM["MSC"]["hospital_days"].to_numpy(float)
    y = ARM["placebo"]["hospital_days"].to_numpy(float)
    u = sum((xi > yj) + 0.5 * (xi == yj) for xi in x for yj in y)
    pooled = np.r_[x, y]
    n1, n2, n = len(x), len(y), len(pooled)
    _, counts = np.unique(pooled, return_counts=True)
    variance = n1 * n2 / 12 * ((n + 1) - (counts ** 3 - counts).sum() / (n * (n - 1)))
    z = (abs(u - n1 * n2 / 2) - 0.5) / np.sqrt(variance)
    assert endpoints.hospital.hospital_stay(PATIENTS).get("both", "p") == pytest.approx(2 * norm.sf(z), rel=1e-9)


def test_logrank_matches_formula():
    t = PATIENTS["o2_days"].to_numpy(float)
    e = PATIENTS["o2_event"].to_numpy(float)
    in_msc = (PATIENTS["arm"] == "MSC").to_numpy()
    observed = expected = variance = 0.0
    for time in np.unique(t[e == 1]):
        at_risk, at_risk_msc = (t >= time).sum(), ((t >= time) & in_msc).sum()
        deaths = ((t == time) & (e == 1)).sum()
        observed += ((t == time) & (e == 1) & in_msc).sum()
        expected += deaths * at_risk_msc / at_risk
        if at_risk > 1:
            variance += deaths * (at_risk_msc / at_risk) * (1 - at_risk_msc / at_risk) * (at_risk - deaths) / (at_risk - 1)
    chi2 = (observed - expected) ** 2 / variance
    p = 2 * norm.sf(np.sqrt(chi2))
    assert endpoints.oxygen.o2_discontinuation(PATIENTS).get("both", "p") == pytest.approx(p, rel=1e-9)


def test_welch_matches_formula():
    a, b = ((g["pf_day7"] - g["pf_day0"]).dropna().to_numpy(float) for g in ARM.values())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    from scipy.stats import t as student
    assert endpoints.oxygenation.pf_change_day7(PATIENTS).get("both", "p") == pytest.approx(2 * student.sf(abs(t), df), rel=1e-9)


def test_fisher_two_sided_for_published_counts():
    from math import comb
    # 5/10 against 0/10: the table and its mirror image are the only ones as extreme.
    assert endpoints.fisher_p(5, 10, 0, 10) == pytest.approx(2 * comb(10, 5) * comb(10, 0) / comb(20, 5))


def test_every_documented_method_names_its_endpoint():
    # The sampler writes each method's endpoint function by name (importing the functions would import
    # scipy.stats and statsmodels); a renamed function or a typo leaves assumptions.csv naming nothing.
    for key, (value, *_) in ASSUMPTIONS.items():
        if key.startswith("method."):
            assert value == key.split(".", 1)[1] and value in endpoints.ENDPOINTS, key


def test_every_endpoint_method_is_a_documented_assumption():
    documented = {k.split(".", 1)[1]: v[1] for k, v in ASSUMPTIONS.items() if k.startswith("method.")}
    claimed = set(load_claims()["endpoint"]) - {"randomised"}  # analyses behind a published claim
    for name, endpoint in endpoints.ENDPOINTS.items():
        if name in claimed:
            assert documented[name] in endpoint(PATIENTS).method, name
