"""What each endpoint estimates (ICH E9(R1)): population, variable, the strategy for each intercurrent
event, and the population-level summary; and which strategy the abstract's numbers appear to use.

The book's rule for death: death is the worst outcome (a composite strategy) wherever a death ends the
measurement; where the published analysis handles death otherwise (complete cases for the primary, a
stay ended by death, oxygen time censored at death) the book reports the published handling, which it
must reproduce, beside the composite one.
"""
import pandas as pd

COLUMNS = ["endpoint", "population", "variable", "death", "discharge_by_day7", "intubation", "summary",
           "abstract", "book"]
NOT_AN_EVENT = "not an intercurrent event: measured before it could happen"
TREATMENT_POLICY = "treatment policy: the outcome counts whatever the ventilation"

ESTIMANDS = pd.DataFrame([
    {"endpoint": "randomised", "population": "all randomised",
     "variable": "numbers randomised and characteristics before treatment",
     "death": NOT_AN_EVENT, "discharge_by_day7": NOT_AN_EVENT, "intubation": NOT_AN_EVENT,
     "summary": "counts, means and medians per arm (no comparison)",
     "abstract": "numbers randomised only", "book": "as the abstract"},
    {"endpoint": "pf_change_day7", "population": "all randomised",
     "variable": "PaO2/FiO2 at day 7 minus baseline (mmHg)",
     "death": "no day-7 value: left out (complete cases); sensitivity: composite, death given the worst change",
     "discharge_by_day7": "no day-7 value: left out (complete cases); sensitivity: the best change",
     "intubation": TREATMENT_POLICY, "summary": "difference in mean change, MSC minus placebo (Welch)",
     "abstract": "not stated; the published means fit complete cases",
     "book": "complete cases as published, beside the composite, the adverse direction and a tipping point"},
    {"endpoint": "who_improved_day7", "population": "all randomised",
     "variable": "fall of at least one point on the WHO 7-point scale, day 0 to day 7",
     "death": "composite: death is score 7, never an improvement",
     "discharge_by_day7": "composite: discharge is score 1 or 2, an improvement",
     "intubation": "composite: score 6, part of the variable",
     "summary": "difference in proportions improved (Fisher's exact test)",
     "abstract": "composite (the scale includes death)", "book": "composite"},
    {"endpoint": "who_day7", "population": "all randomised", "variable": "score on the WHO 7-point scale at day 7",
     "death": "composite: death is score 7, the worst", "discharge_by_day7": "composite: score 1 or 2",
     "intubation": "composite: score 6, part of the variable",
     "summary": "common odds ratio of a better score (proportional odds)",
     "abstract": "not reported", "book": "composite"},
    {"endpoint": "o2_discontinuation", "population": "all randomised",
     "variable": "days from randomisation to stopping supplemental oxygen",
     "death": "hypothetical: censored at death (as if no one died); sensitivity: competing event",
     "discharge_by_day7": "not an intercurrent event: oxygen stops before discharge",
     "intubation": TREATMENT_POLICY,
     "summary": "median time, log-rank test, hazard ratio, restricted mean time on oxygen to day 28",
     "abstract": "not stated; medians of a Kaplan–Meier curve, deaths presumably censored",
     "book": "deaths censored as published, beside death as a competing event "
             "(cumulative incidence, Fine–Gray) and the win ratio"},
    {"endpoint": "hospital_stay", "population": "all randomised",
     "variable": "days from randomisation to leaving hospital",
     "death": "treatment policy as published (a death ends the stay); composite: deaths ranked worst; "
              "survivors only; alive and discharged by day 28 or 60",
     "discharge_by_day7": "part of the variable (a short stay)", "intubation": TREATMENT_POLICY,
     "summary": "median stay, Mann–Whitney test, Hodges–Lehmann shift",
     "abstract": "deaths as stays: the published p is reproduced only so (deaths ranked worst give another p)",
     "book": "all four side by side; the composite (deaths worst) is the book's reading"},
    {"endpoint": "o2_free_days_28", "population": "all randomised",
     "variable": "days alive and off supplemental oxygen to day 28",
     "death": "composite: a death by day 28 counts 0 days (sensitivity: ranked below 0)",
     "discharge_by_day7": "part of the variable", "intubation": TREATMENT_POLICY,
     "summary": "median days per arm, Mann–Whitney test",
     "abstract": "not reported (registered outcome)", "book": "composite"},
    {"endpoint": "mortality_day28", "population": "all randomised", "variable": "death by day 28",
     "death": "the variable itself", "discharge_by_day7": "treatment policy: deaths after discharge count",
     "intubation": TREATMENT_POLICY, "summary": "deaths per arm (Fisher's exact test)",
     "abstract": "not reported (registered outcome)", "book": "treatment policy"},
    {"endpoint": "composite", "population": "all randomised",
     "variable": "death, then time to stopping oxygen, then hospital stay, compared pair by pair",
     "death": "composite: the first level (a survivor beats a death, a later death an earlier one)",
     "discharge_by_day7": "part of the variable (a short stay)", "intubation": TREATMENT_POLICY,
     "summary": "win ratio, MSC against placebo",
     "abstract": "not reported", "book": "composite"},
    {"endpoint": "safety", "population": "all randomised (MSC arm for the rate)",
     "variable": "serious adverse events judged related to the infusion",
     "death": "while alive: events counted until death (the abstract does not say)",
     "discharge_by_day7": "treatment policy: events after discharge count",
     "intubation": TREATMENT_POLICY, "summary": "count and exact one-sided upper bound of the rate",
     "abstract": "count (none)", "book": "as the abstract"},
], columns=COLUMNS)

# The same choices in a word or two, for the cross-endpoint table (strategy names of ICH E9(R1)).
STRATEGIES = pd.DataFrame([
    ("randomised", "none (before treatment)", "none", "none", "numbers randomised", "as the abstract"),
    ("pf_change_day7", "left out (complete cases)", "left out (complete cases)", "treatment policy",
     "complete cases", "complete cases, beside composite, adverse and tipping point"),
    ("who_improved_day7", "composite", "composite", "composite", "composite", "composite"),
    ("who_day7", "composite", "composite", "composite", "not reported", "composite"),
    ("o2_discontinuation", "hypothetical (censored)", "not applicable", "treatment policy", "hypothetical",
     "hypothetical, beside death competing"),
    ("hospital_stay", "treatment policy (death ends the stay)", "part of the variable", "treatment policy",
     "deaths as stays", "composite (deaths worst), beside the others"),
    ("o2_free_days_28", "composite (0 days)", "part of the variable", "treatment policy", "not reported", "composite"),
    ("mortality_day28", "the outcome", "treatment policy", "treatment policy", "not reported", "treatment policy"),
    ("composite", "composite (first level)", "part of the variable", "treatment policy", "not reported", "composite"),
    ("safety", "while alive", "treatment policy", "treatment policy", "count", "as the abstract"),
], columns=["endpoint", "death", "discharge_by_day7", "intubation", "abstract", "book"])

NAMES = {"randomised": "Baseline", "pf_change_day7": "PaO2/FiO2 change to day 7 (primary)",
         "who_improved_day7": "Improvement on the WHO scale", "who_day7": "WHO scale at day 7",
         "o2_discontinuation": "Time to stopping oxygen", "hospital_stay": "Hospital stay",
         "o2_free_days_28": "Oxygen-free days to day 28", "mortality_day28": "Mortality at day 28",
         "composite": "Win ratio (death, oxygen, stay)", "safety": "Treatment-related serious events"}
LABELS = {"endpoint": "Endpoint", "population": "Population", "variable": "Variable", "death": "Death",
          "discharge_by_day7": "Discharge by day 7", "intubation": "Intubation",
          "summary": "Summary measure", "abstract": "The abstract appears to use", "book": "The book uses"}


def estimand(endpoint: str) -> pd.DataFrame:
    """One endpoint's estimand as a two-column table (attribute, definition), for the top of its chapter
    (what the abstract and the book use is in the cross-endpoint table of the estimands chapter)."""
    row = ESTIMANDS.set_index("endpoint").loc[endpoint].drop(["abstract", "book"])
    return pd.DataFrame({"attribute": [LABELS[c] for c in row.index], "definition": row.to_numpy()})
