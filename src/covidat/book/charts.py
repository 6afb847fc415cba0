"""The book's charts: one theme, one offline renderer, the few builders chapters share.

Every chart is rendered as HTML that calls the page's global `vegaEmbed` (shipped with
the site by `covidat.book.site`), so no chart loads anything from a CDN; in a live notebook
(`make lab`), as Vega-Lite that the notebook draws itself. Every chart must carry a
`description`: it becomes the SVG's accessible label.
"""
import hashlib
import json
import os
from html import escape

import altair as alt
import IPython
import numpy as np
import pandas as pd
from myst_nb.ext.glue import GLUE_PREFIX

from covidat.data import Dataset, load_dataset

# Okabe–Ito blue and vermillion: distinct under every common colour-vision deficiency,
# and both at least 3:1 against white.
ARM_COLOURS = {"MSC": "#0072B2", "placebo": "#D55E00"}
ARMS = list(ARM_COLOURS)

# Each chart queues its spec; covidat-charts.js (shipped by covidat.book.site, loaded deferred and
# only on pages with charts) draws the queue with the page's global vegaEmbed, narrowing the chart
# until it fits its column so that its text keeps its size on a phone.
_EMBED = """<div class="covidat-chart" id="{id}" role="img" aria-label="{alt}" tabindex="0"{attributes}></div>
<script type="text/javascript">
(window.covidatCharts = window.covidatCharts || []).push(["{id}", {spec}]);
if (window.covidatDraw) window.covidatDraw();
</script>"""

# The words every chart drawn from the reconstruction carries inside it, so a screenshot keeps them.
RECONSTRUCTED_TITLE = "Reconstructed data"
RECONSTRUCTED_SUBTITLE = "synthetic patients, not the trial's records"


def arm_colour() -> alt.Scale:
    """The colour scale every chart uses for the two arms."""
    return alt.Scale(domain=ARMS, range=list(ARM_COLOURS.values()))


# In a notebook opened live (JupyterLab or Notebook 7, e.g. `make lab`) the book's script is not on the
# page, and JupyterLab runs no script of an output it did not make; it draws Vega-Lite itself, from
# this MIME type (its Vega-Lite 5 compiles the book's specs). A Jupyter server names the notebook of
# each kernel it starts in this variable; the book's own executions (build, record, tests) have none.
LIVE_NOTEBOOK = "JPY_SESSION_NAME"
LIVE_MIME_TYPE = "application/vnd.vegalite.v5+json"


def render(spec: dict, **_) -> dict:
    """Altair renderer: HTML with an id derived from the spec, so re-runs give identical output; in a
    live notebook, the spec for the notebook's own Vega-Lite renderer instead."""
    if not spec.get("description"):
        raise ValueError("Every chart needs a description (its text alternative): "
                         "pass description=... to alt.Chart or .properties().")
    if os.environ.get(LIVE_NOTEBOOK):
        return {LIVE_MIME_TYPE: spec, "text/plain": f"<chart: {spec['description']}>"}
    text = json.dumps(spec, sort_keys=True)
    chart_id = "covidat-chart-" + hashlib.sha256(text.encode()).hexdigest()[:12]
    patients = spec.get("usermeta", {}).get("covidat", {}).get("patients")
    attributes = ' data-patients="true"' if patients else ""
    return {
        "text/html": _EMBED.format(id=chart_id, alt=escape(spec["description"]), attributes=attributes,
                                   spec=text.replace("</", "<\\/")),
        "text/plain": f"<chart: {escape(spec['description'])}>",
    }


def theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            # The chart's container carries the text alternative; keep marks and guides out of the
            # accessibility tree rather than expose hundreds of unlabelled graphics.
            "aria": False,
            "mark": {"aria": False},
            "view": {"continuousWidth": 420, "continuousHeight": 260, "stroke": None},
            "font": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
            # No text under 12 px: charts are narrowed to fit a phone, never scaled down.
            # Tick labels closer than 4 px drop out (every other one, or greedily on a log scale), so
            # none run together ("0.10.2") when a chart is narrowed to fit a phone.
            "axis": {"labelFontSize": 12, "titleFontSize": 13, "grid": True, "gridColor": "#e5e5e5",
                     "labelSeparation": 4},
            "legend": {"labelFontSize": 12, "titleFontSize": 13, "orient": "top"},
            "header": {"labelFontSize": 13, "titleFontSize": 13},
            "text": {"fontSize": 12},
            "title": {"fontSize": 15, "subtitleFontSize": 12, "anchor": "start"},
        }
    }


def _show_glued_chart(message: dict) -> dict:
    """A chapter glues its charts for the book's pages without showing them (myst-nb's `glue(...,
    display=False)` gives them prefixed MIME types no notebook draws); in a live notebook, a glued
    chart is shown where it is glued."""
    data = message.get("content", {}).get("data", {})
    if GLUE_PREFIX + LIVE_MIME_TYPE in data:
        message["content"]["data"] = {key.removeprefix(GLUE_PREFIX): value for key, value in data.items()}
    return message


def setup() -> None:
    """Enable the book's theme and renderer (called once in each chapter's preamble); in a live
    notebook, also show the charts the chapter glues."""
    alt.theme.register("covidat", enable=True)(theme)
    alt.renderers.register("covidat", render)
    alt.renderers.enable("covidat")
    shell = IPython.get_ipython()
    if os.environ.get(LIVE_NOTEBOOK) and hasattr(getattr(shell, "display_pub", None), "register_hook"):
        shell.display_pub.unregister_hook(_show_glued_chart)  # once, however often setup() runs
        shell.display_pub.register_hook(_show_glued_chart)


def from_patients(chart, dataset: Dataset | None = None):
    """Mark a chart drawn from patient-level data; if the dataset (default: the build's) is the
    book's reconstruction, say so inside the chart, as its title, so that a copy of the chart on a
    slide still says it. Every builder below that draws patients calls it."""
    chart = chart.properties(usermeta={"covidat": {"patients": True}})
    if (dataset or load_dataset()).is_reconstruction:
        chart = chart.properties(title=alt.Title(
            RECONSTRUCTED_TITLE, subtitle=RECONSTRUCTED_SUBTITLE, color="#8a3c00", subtitleColor="#333333",
            fontSize=13, fontWeight="bold"))
    return chart


def arm_comparison(table, value: str, label: str, description: str, width: int = 260) -> alt.Chart:
    """Dot chart of one statistic per endpoint and arm (e.g. the published summaries).

    One panel per `endpoint_label`, its label above it and its own x scale from zero; the panels
    are `width` pixels wide, so the whole chart fits a phone's text column. One legend (colour and
    shape share it)."""
    arm = dict(field="arm", type="nominal", title="Arm", sort=ARMS)
    return alt.Chart(table, description=description).mark_point(filled=True, size=120).encode(
        x=alt.X(f"{value}:Q", title=label, scale=alt.Scale(zero=True, nice=True),
                axis=alt.Axis(tickCount=5)),
        y=alt.Y("arm:N", title=None, sort=ARMS),
        color=alt.Color(**arm, scale=arm_colour()),
        shape=alt.Shape(**arm, scale=alt.Scale(domain=ARMS)),
        row=alt.Row("endpoint_label:N", title=None, sort=list(dict.fromkeys(table["endpoint_label"])),
                    header=alt.Header(labelAngle=0, labelOrient="top", labelAnchor="start",
                                      labelFontSize=13, labelFontWeight="bold")),
        tooltip=["endpoint_label:N", "arm:N", f"{value}:Q"],
    ).resolve_scale(x="independent").properties(width=width, height=60)


FOREST_KINDS = {"pooled trial": ("#000000", "square"), "trial not pooled": ("#767676", "square"),
                "pooled estimate": ("#0072B2", "diamond")}


def _decades(low: float, high: float) -> list[float]:
    """Powers of ten from the one at or below `low` to the one at or above `high`."""
    return [10.0 ** k for k in range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)]


def _forest_label(row) -> str:
    """A row's label with its odds ratio, interval and weight under it (two lines, split on '|')."""
    if row.kind == "not reported":
        return f"{row.label}|not reported"
    numbers = f"{row.estimate:.2f} ({row.ci_low:.2f} to {row.ci_high:.2f})"
    weight = getattr(row, "weight", None)
    if weight is not None and pd.notna(weight):
        numbers += f", weight {weight:.0f}%"
    return f"{row.label}|{numbers}"


def forest(table, description: str, x_title: str = "Odds ratio of death (log scale)") -> alt.LayerChart:
    """Forest plot: one row per `label` with `estimate`, `ci_low`, `ci_high` and `kind`
    (one of FOREST_KINDS, or 'not reported'), and optionally `weight` (percent of the pooled
    estimate); rows appear in table order. Each row's label carries its odds ratio, interval and
    weight on a second line, as journals print them beside the plot.

    The chart takes the width of its container; the log axis spans whole decades around every
    interval and is labelled at powers of ten only, so no interval is clipped and no tick labels
    collide."""
    table = table.assign(row=[_forest_label(r) for r in table.itertuples()])
    order = list(table["row"])
    ticks = _decades(table["ci_low"].min(), table["ci_high"].max())
    scale = alt.Scale(type="log", domain=[ticks[0], ticks[-1]], nice=False)
    axis = alt.Axis(values=ticks, format="~g", labelFlush=True, titleAnchor="end")  # title grows leftwards
    base = alt.Chart(table).encode(y=alt.Y("row:N", sort=order, title=None, axis=alt.Axis(
        labelLimit=200, labelExpr="split(datum.label, '|')", labelLineHeight=15)))
    shown = base.transform_filter("datum.kind != 'not reported'")
    kinds = alt.Scale(domain=list(FOREST_KINDS), range=[c for c, _ in FOREST_KINDS.values()])
    shapes = alt.Scale(domain=list(FOREST_KINDS), range=[m for _, m in FOREST_KINDS.values()])
    legend = alt.Legend(title=None, orient="bottom", direction="vertical")
    return alt.layer(
        alt.Chart(table).mark_rule(strokeDash=[4, 4], color="#767676").encode(x=alt.datum(1)),
        shown.mark_rule().encode(x=alt.X("ci_low:Q", scale=scale, axis=axis, title=x_title),
                                 x2="ci_high:Q", color=alt.Color("kind:N", scale=kinds, legend=legend)),
        shown.mark_point(filled=True, size=90).encode(
            x=alt.X("estimate:Q", scale=scale, axis=axis, title=x_title),
            color=alt.Color("kind:N", scale=kinds, legend=legend),
            shape=alt.Shape("kind:N", scale=shapes, legend=legend),
            tooltip=["label:N", alt.Tooltip("estimate:Q", format=".2f"),
                     alt.Tooltip("ci_low:Q", format=".2f"), alt.Tooltip("ci_high:Q", format=".2f")]),
    ).properties(description=description, width="container", height=36 * len(order),
                 autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


# Paul Tol's dark "muted" colours: distinct under common colour-vision deficiencies, each well
# above 3:1 against white, and none of them an arm colour (these lines are assumptions, not arms).
ASSUMPTION_COLOURS = ["#332288", "#117733", "#882255", "#44AA99"]


def power_curve_chart(curve, description: str, observed: float | None = None,
                      target_power: float = 0.8) -> alt.LayerChart:
    """Power against the true difference, one line per assumed SD (a `covidat.planning.power.power_curve` table).

    A dashed horizontal rule marks `target_power`; if `observed` is given, a vertical rule marks it
    and a point shows where each curve crosses it (interpolated along the curve).
    """
    sds = sorted(curve["sd"].unique())
    sd_scale = alt.Scale(domain=sds, range=ASSUMPTION_COLOURS[:len(sds)])
    legend = alt.Legend(title="Assumed SD (mmHg)")
    lines = alt.Chart(curve).mark_line(strokeWidth=2.5).encode(
        x=alt.X("difference:Q", title="True difference in mean PaO2/FiO2 change, MSC minus placebo (mmHg)"),
        y=alt.Y("power:Q", title="Power", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("sd:O", scale=sd_scale, legend=legend),
        strokeDash=alt.StrokeDash("sd:O", scale=alt.Scale(domain=sds), legend=legend),
        tooltip=[alt.Tooltip("sd:Q", title="assumed SD"), alt.Tooltip("difference:Q", format=".0f"),
                 alt.Tooltip("power:Q", format=".0%")],
    )
    target = alt.Chart(alt.Data(values=[{"power": target_power}])).mark_rule(
        color="#555555", strokeDash=[2, 3]).encode(y="power:Q")
    layers = [lines, target]
    if observed is not None:
        rule = alt.Chart(alt.Data(values=[{"difference": observed}])).mark_rule(color="#000000").encode(
            x="difference:Q")
        label = alt.Chart(alt.Data(values=[{"difference": observed, "power": 1.0,
                                            "text": "published difference"}])).mark_text(
            align="left", dx=4, dy=8, fontSize=12).encode(x="difference:Q", y="power:Q", text="text:N")
        at_observed = [{"sd": float(sd), "difference": float(observed),
                        "power": float(np.interp(observed, g["difference"], g["power"]))}
                       for sd, g in curve.sort_values("difference").groupby("sd")]
        points = alt.Chart(alt.Data(values=at_observed)).mark_point(
            filled=True, size=70, color="#000000").encode(
            x="difference:Q", y="power:Q",
            tooltip=[alt.Tooltip("sd:Q", title="assumed SD"), alt.Tooltip("power:Q", format=".0%")])
        layers += [rule, label, points]
    return alt.layer(*layers, description=description)


# Boxes the publication leaves empty are dashed and grey; a bar in the arm colour marks each arm's column.
_CONSORT_STYLE = """<style>
.covidat-consort { max-width: 600px; font-size: 0.9rem; }
.covidat-consort ol { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.5rem; }
.covidat-consort .stage { display: flex; gap: 0.5rem; flex-wrap: wrap; align-items: stretch; }
.covidat-consort .stage-name { flex: 0 0 100%; font-weight: 600; margin: 0.25rem 0 0; }
.covidat-consort .arm { flex: 1 1 14rem; display: grid; gap: 0.35rem; border-left: 4px solid; padding-left: 0.4rem; }
.covidat-consort .box { border: 1px solid #555; border-radius: 4px; padding: 0.3rem 0.5rem; background: #fff; color: #000; }
.covidat-consort .box.missing { border-style: dashed; color: #444; background: #f3f3f3; }
</style>"""


def consort_diagram(flow, description: str) -> str:
    """The CONSORT flow as accessible HTML (a `covidat.endpoints.baseline.consort_flow` table): an
    ordered list of stages read top to bottom, arms side by side (stacked on narrow screens);
    boxes that read 'not reported' are dashed. Returns HTML text; display it with IPython's HTML."""
    def box(row):
        missing = " missing" if row.text == "not reported" else ""
        return f'<div class="box{missing}"><strong>{escape(row.box)}</strong>: {escape(row.text)}</div>'

    stages = []
    for stage, rows in flow.groupby("stage", sort=False):
        columns = []
        for arm, boxes in rows.groupby("arm", sort=False):
            colour = ARM_COLOURS.get(arm, "#555555")
            title = "" if arm == "both" else f'<div><strong>{escape(arm)}</strong></div>'
            columns.append(f'<div class="arm" style="border-left-color: {colour}">{title}'
                           + "".join(box(r) for r in boxes.itertuples()) + "</div>")
        stages.append(f'<li class="stage"><p class="stage-name">{escape(stage)}</p>{"".join(columns)}</li>')
    return (_CONSORT_STYLE + f'<div class="covidat-consort" role="group" aria-label="{escape(description)}">'
            f'<ol>{"".join(stages)}</ol></div>')


def paired_chart(patients, description: str, width: int = 250, dataset: Dataset | None = None) -> alt.Chart:
    """Each patient's PaO2/FiO2 at day 0 and day 7, one line per patient, one panel per arm
    (a patient without a day-7 value shows as a lone day-0 point)."""
    long = patients.melt(id_vars=["patient_id", "arm"], value_vars=["pf_day0", "pf_day7"],
                         var_name="day", value_name="pf").dropna(subset=["pf"])
    long["day"] = long["day"].map({"pf_day0": "day 0", "pf_day7": "day 7"})
    return from_patients(alt.Chart(long, description=description).mark_line(point=True, opacity=0.8).encode(
        x=alt.X("day:N", title=None, sort=["day 0", "day 7"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("pf:Q", title="PaO2/FiO2 (mmHg)"),
        detail="patient_id:N",
        color=alt.Color("arm:N", scale=arm_colour(), legend=None),
        column=alt.Column("arm:N", sort=ARMS, title=None),
        tooltip=["patient_id:N", "arm:N", "day:N", alt.Tooltip("pf:Q", title="PaO2/FiO2 (mmHg)")],
    ).properties(width=width, height=260), dataset)


def ci_by_sd_chart(table, description: str, sd_bound: float, sd_observed: float | None = None,
                   width: int = 520, dataset: Dataset | None = None) -> alt.LayerChart:
    """The 95% CI of a difference in means against the unknown within-arm SD (a
    `covidat.endpoints.oxygenation.difference_ci_by_sd` table): a band for the CI, a line for the
    difference, a rule at zero and a dashed rule at `sd_bound`, the smallest SD consistent with
    'not significant'; `sd_observed` (e.g. the dataset's pooled SD) is marked with a dotted rule, and
    makes it a chart drawn from patients."""
    x = alt.X("sd:Q", title="Within-arm SD of the change (mmHg)")
    band = alt.Chart(table).mark_area(opacity=0.3, color=ARM_COLOURS["MSC"]).encode(
        x=x, y=alt.Y("ci_low:Q", title="Difference in mean change, MSC minus placebo (mmHg)"), y2="ci_high:Q",
        tooltip=[alt.Tooltip("sd:Q", format=".0f"), alt.Tooltip("ci_low:Q", format=".1f"),
                 alt.Tooltip("ci_high:Q", format=".1f")])
    line = alt.Chart(table).mark_line(color="#000000").encode(x=x, y="difference:Q")
    zero = alt.Chart(alt.Data(values=[{"y": 0}])).mark_rule(color="#555555").encode(y="y:Q")
    marks = [{"sd": sd_bound, "what": "smallest SD with p ≥ 0.05"}]
    if sd_observed is not None:
        marks.append({"sd": sd_observed, "what": "pooled SD in this dataset"})
    rules = alt.Chart(alt.Data(values=marks)).mark_rule(strokeWidth=2).encode(
        x="sd:Q", strokeDash=alt.StrokeDash("what:N", title=None,
                                            scale=alt.Scale(range=[[6, 4], [2, 2]])),
        tooltip=["what:N", alt.Tooltip("sd:Q", format=".1f")])
    chart = alt.layer(band, line, zero, rules, description=description).properties(width=width)
    return chart if sd_observed is None else from_patients(chart, dataset)


# ColorBrewer's YlGnBu, one colour per WHO score 1–7: ordered (darker = worse), colour-blind-safe,
# and moving through three hues, so that neighbouring scores differ in hue, not only in lightness.
WHO_COLOURS = ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"]


def who_stacked_bars(counts, scale, description: str, width: int = 480,
                     dataset: Dataset | None = None) -> alt.Chart:
    """Stacked bars of patients per WHO score, one bar per arm and day: `counts` has columns arm,
    day (e.g. 'day 0'), score, n; `scale` is the registered scale (score, label)."""
    table = counts.merge(scale, on="score")
    table["category"] = table["score"].astype(str) + " " + table["label"]
    domain = [f"{s} {l}" for s, l in zip(scale["score"], scale["label"])]
    return from_patients(alt.Chart(table, description=description).mark_bar(stroke="#333333", strokeWidth=0.5).encode(
        x=alt.X("n:Q", title="Patients", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("arm:N", sort=ARMS, title=None),
        row=alt.Row("day:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
        color=alt.Color("category:N", scale=alt.Scale(domain=domain, range=WHO_COLOURS),
                        title="WHO score", legend=alt.Legend(orient="bottom", columns=1, labelLimit=300)),
        order=alt.Order("score:Q"),
        tooltip=["day:N", "arm:N", "category:N", "n:Q"],
    ).properties(width=width, height=alt.Step(28)), dataset)

def km_chart(curves, description: str, y_title: str, x_title: str = "Days since randomisation",
             at_risk_days=None, width: int = 520, dataset: Dataset | None = None) -> alt.VConcatChart:
    """Kaplan–Meier curves by arm as steps with their 95% bands, and the numbers at risk printed
    under the plot as journals do. `curves` is a `covidat.endpoints.survival.km_table` per arm
    with an `arm` column (e.g. `endpoints.oxygen.curves`); `at_risk_days` are the days at which
    the numbers at risk are shown (default: every 7 days to the last time)."""
    last = float(curves["time"].max())
    starts = curves.groupby("arm", as_index=False).agg(at_risk=("at_risk", "max")).assign(
        time=0.0, survival=1.0, lower=1.0, upper=1.0)
    steps = pd.concat([starts, curves], ignore_index=True).sort_values(["arm", "time"])
    # Carry each curve flat to the last time shown, so a curve ending early does not stop short.
    ends = steps.groupby("arm").tail(1).assign(time=last)
    steps = pd.concat([steps, ends], ignore_index=True)
    # Where the curve reaches 0 the band is undefined; draw it closed at 0 there.
    steps[["lower", "upper"]] = steps[["lower", "upper"]].where(steps["survival"] > 0, 0.0)
    days = [float(d) for d in (at_risk_days if at_risk_days is not None else np.arange(0, last + 1, 7))]
    scale = alt.Scale(domain=[0, last], nice=False)
    x = alt.X("time:Q", title=None, scale=scale, axis=alt.Axis(values=days))
    # The legend shows the lines (colour and dash, merged into one legend), not the bands.
    base = alt.Chart(steps)
    band = base.mark_area(interpolate="step-after", opacity=0.15).encode(
        x=x, y="lower:Q", y2="upper:Q", fill=alt.Fill("arm:N", scale=arm_colour(), legend=None))
    line = base.mark_line(interpolate="step-after", strokeWidth=2.5).encode(
        x=x, y=alt.Y("survival:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("arm:N", scale=arm_colour(), title="Arm", legend=alt.Legend(symbolStrokeWidth=2.5)),
        strokeDash=alt.StrokeDash("arm:N", sort=ARMS, title="Arm", scale=alt.Scale(domain=ARMS)),
        tooltip=["arm:N", alt.Tooltip("time:Q", title="day"), alt.Tooltip("survival:Q", format=".0%")])
    counts = pd.DataFrame([{"arm": arm, "time": day,
                            "at_risk": int(group.loc[group["time"] >= day, "at_risk"].max()
                                           if (group["time"] >= day).any() else 0)}
                           for arm, group in curves.groupby("arm") for day in days])
    table = alt.Chart(counts).mark_text(fontSize=12).encode(
        x=alt.X("time:Q", title=f"{x_title} (numbers at risk below the curves)", scale=scale,
                axis=alt.Axis(values=days, labels=False, ticks=False, grid=False)),
        y=alt.Y("arm:N", sort=ARMS, title=None, axis=alt.Axis(labelPadding=14, ticks=False, domain=False)),
        text="at_risk:Q", color=alt.Color("arm:N", scale=arm_colour(), legend=None))
    return from_patients(alt.vconcat(alt.layer(band, line).properties(width=width, height=260),
                                     table.properties(width=width, height=44),
                                     description=description, spacing=4).resolve_scale(x="shared", color="independent"),
                         dataset)
