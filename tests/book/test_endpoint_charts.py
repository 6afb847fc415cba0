"""The endpoint chapters' chart builders: a text alternative, every patient drawn, a width that fits."""
import json
from html.parser import HTMLParser

import numpy as np

from covidat.book import charts
from covidat.data import DEFAULT_DATA, load_dataset
from covidat.endpoints import baseline, improvement, oxygenation

PATIENTS = load_dataset(DEFAULT_DATA).patients
MAX_WIDTH = 600  # the text column is about 670 px on a desktop


def rendered(chart) -> dict:
    spec = chart.to_dict()
    charts.render(spec)  # refuses a chart without a description
    return json.loads(json.dumps(spec))


def data_rows(spec) -> list:
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def total_width(spec) -> int:
    """The width the panels take side by side (facets multiply, layers share)."""
    assert isinstance(spec["width"], int), "fixed pixel width expected"
    column = spec["encoding"].get("column")
    return spec["width"] * (len(column["sort"]) if column else 1)


def test_paired_chart_shows_every_measurement_and_fits():
    patients = PATIENTS.copy()
    patients.loc[patients.index[0], "pf_day7"] = np.nan  # a patient without day 7 keeps the day-0 point
    spec = rendered(charts.paired_chart(patients, "paired values"))
    rows = data_rows(spec)
    measured = patients.loc[patients["pf_day7"].notna(), "patient_id"]
    assert len(rows) == len(patients) + len(measured)
    assert {(r["patient_id"], r["day"]) for r in rows} == (
        {(p, "day 0") for p in patients["patient_id"]} | {(p, "day 7") for p in measured})
    assert total_width(spec) <= MAX_WIDTH


def test_ci_by_sd_chart_draws_the_table_and_both_marks():
    table = oxygenation.difference_ci_by_sd(25.7, 10, [20, 50, 80])
    spec = rendered(charts.ci_by_sd_chart(table, "ci by sd", sd_bound=30.0, sd_observed=60.0))
    assert len(data_rows(spec)) == len(table)
    marks = [v for layer in spec["layer"] for v in layer.get("data", {}).get("values", [])]
    assert {m.get("sd") for m in marks} >= {30.0, 60.0}
    assert spec["width"] <= MAX_WIDTH


def test_who_bars_count_every_patient_on_each_day_and_label_every_score():
    counts = improvement.who_counts(PATIENTS)
    spec = rendered(charts.who_stacked_bars(counts, baseline.who_scale(), "who bars"))
    rows = data_rows(spec)
    for day in ("day 0", "day 7"):
        assert sum(r["n"] for r in rows if r["day"] == day) == len(PATIENTS)
    assert len(spec["encoding"]["color"]["scale"]["domain"]) == 7
    assert spec["width"] <= MAX_WIDTH


class Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.labels = [], []

    def handle_starttag(self, tag, attrs):
        self.labels += [v for k, v in attrs if k == "aria-label"]

    def handle_data(self, data):
        self.text.append(data)


def test_consort_diagram_shows_every_box_as_text_and_is_labelled():
    flow = baseline.consort_flow(PATIENTS)
    parser = Text()
    parser.feed(charts.consort_diagram(flow, "the flow of patients"))
    text = " ".join(parser.text)
    for row in flow.itertuples():
        assert row.box in text and row.text in text
    assert parser.labels == ["the flow of patients"]


def test_consort_diagram_escapes_text():
    flow = baseline.consort_flow(PATIENTS)
    flow.loc[0, "text"] = "<script>"
    assert "<script>" not in charts.consort_diagram(flow, "x").split("</style>", 1)[1]


def test_every_chart_of_patients_says_reconstructed_inside_it():
    # Copied onto a slide, a chart of synthetic patients must not pass as the trial's (issue 21).
    from covidat.endpoints import hospital, oxygen
    reconstruction = load_dataset(DEFAULT_DATA)
    table = oxygenation.difference_ci_by_sd(25.7, 10, [20, 50, 80])
    built = [charts.paired_chart(PATIENTS, "p", dataset=reconstruction),
             charts.ci_by_sd_chart(table, "c", sd_bound=30.0, sd_observed=60.0, dataset=reconstruction),
             charts.who_stacked_bars(improvement.who_counts(PATIENTS), baseline.who_scale(), "w", dataset=reconstruction),
             charts.km_chart(oxygen.curves(PATIENTS), "k", y_title="y", dataset=reconstruction),
             charts.km_chart(hospital.discharge_curves(PATIENTS), "h", y_title="y", dataset=reconstruction)]
    for chart in built:
        spec = rendered(chart)
        assert spec["title"]["text"] == charts.RECONSTRUCTED_TITLE and spec["usermeta"]["covidat"]["patients"]


def test_kaplan_meier_legend_shows_the_lines_not_the_bands():
    from covidat.endpoints import oxygen
    spec = rendered(charts.km_chart(oxygen.curves(PATIENTS), "k", y_title="y"))
    band, line = spec["vconcat"][0]["layer"]
    assert "color" not in band["encoding"] and band["encoding"]["fill"]["legend"] is None
    # colour and dash share field and title, so Vega-Lite merges them into one legend of lines
    assert line["encoding"]["color"]["title"] == line["encoding"]["strokeDash"]["title"]
