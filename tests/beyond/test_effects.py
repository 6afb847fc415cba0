import math

import pandas as pd
import pytest

from covidat.beyond import effects
from covidat.endpoints import oxygenation
from covidat.endpoints import RESULT_COLUMNS


def test_effect_table_keeps_present_ids_in_order():
    ids = ["hospital_stay.both.hodges_lehmann", "other.both.p", "pf_change_day7.both.mean_difference"]
    frame = pd.DataFrame([{"result_id": rid, "value": i, "ci_low": i - 1, "ci_high": i + 1, "method": "m"}
                          for i, rid in enumerate(ids)], columns=RESULT_COLUMNS)
    table = effects.effect_table(frame)
    assert list(table["result_id"]) == [ids[2], ids[0]]
    assert list(table["value"]) == [2, 0]
    assert set(table["provenance"]) <= set(effects.PROVENANCE)


def test_pooled_sd_by_hand():
    # arm variances 7 (2 dof) and 0 (1 dof): pooled variance 14 / 3; catches an unweighted mean of variances
    assert oxygenation.pooled_sd([1.0, 2.0, 6.0], [4.0, 4.0]) == pytest.approx(math.sqrt(14 / 3))


def test_effect_chart_puts_ratios_in_one_log_panel_and_survives_an_empty_table():
    frame = pd.DataFrame([{"result_id": rid, "value": 2.0, "ci_low": 1.0, "ci_high": 4.0, "method": "m"}
                          for rid in effects.EFFECTS], columns=RESULT_COLUMNS)
    spec = effects.effect_chart(effects.effect_table(frame), description="d").to_dict()
    units = {e.unit for e in effects.EFFECTS.values()}
    assert len(spec["vconcat"]) == len(units)
    log_panels = [p for p in spec["vconcat"] if p["layer"][1]["encoding"]["x"].get("scale", {}).get("type") == "log"]
    assert len(log_panels) == 1
    empty = effects.effect_chart(effects.effect_table(frame.iloc[:0]), description="d").to_dict()
    assert len(empty["vconcat"]) == 1


def test_effect_chart_legend_lists_only_the_provenances_it_draws():
    # Catches a "published" legend entry on a chart with no published point (a fixed colour domain).
    frame = pd.DataFrame([{"result_id": rid, "value": 2.0, "ci_low": 1.0, "ci_high": 4.0, "method": "m"}
                          for rid in effects.EFFECTS], columns=RESULT_COLUMNS)
    table = effects.effect_table(frame)
    drawn = table[table["provenance"] != "published"]
    spec = effects.effect_chart(drawn, description="d").to_dict()
    domain = spec["vconcat"][0]["layer"][1]["encoding"]["color"]["scale"]["domain"]
    assert domain == [p for p in effects.PROVENANCE if p in set(drawn["provenance"])] and "published" not in domain


def test_risk_difference_is_shown_in_percentage_points_like_the_prose():
    """Catches the same effect printed as 0.5 in one table and 50 points in the text."""
    rid = "who_improved_day7.both.risk_difference"
    frame = pd.DataFrame([{"result_id": rid, "value": 0.5, "ci_low": 0.1, "ci_high": 0.8, "method": "m"}],
                         columns=RESULT_COLUMNS)
    row = effects.effect_table(frame).iloc[0]
    assert (row["value"], row["ci_low"], row["ci_high"], row["unit"]) == (50.0, 10.0, 80.0, "percentage points")
