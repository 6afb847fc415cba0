"""The record every analysis returns, and the split of patients by arm."""
from dataclasses import dataclass, field

import pandas as pd

ARMS = ("MSC", "placebo")


@dataclass(frozen=True)
class EndpointResult:
    endpoint: str
    method: str  # how the statistics were computed (per statistic in `methods` where they differ)
    values: dict = field(default_factory=dict)  # (arm, statistic) -> float; arm is MSC, placebo or both
    cis: dict = field(default_factory=dict)  # (arm, statistic) -> (low, high), 95%
    methods: dict = field(default_factory=dict)  # (arm, statistic) -> method, overriding `method`

    def get(self, arm: str, statistic: str) -> float:
        return self.values[(arm, statistic)]

    def ci(self, arm: str, statistic: str) -> tuple[float, float]:
        return self.cis[(arm, statistic)]


def by_arm(patients: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {arm: patients[patients["arm"] == arm] for arm in ARMS}
