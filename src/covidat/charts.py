"""The book's charts: one theme, one offline renderer, the few builders chapters share.

Every chart is rendered as HTML that calls the page's global `vegaEmbed` (shipped with
the site by `covidat.site`), so no chart loads anything from a CDN. Every chart must
carry a `description`: it becomes the SVG's accessible label.
"""
import hashlib
import json
from html import escape

import altair as alt
import numpy as np

# Okabe–Ito blue and vermillion: distinct under every common colour-vision deficiency,
# and both at least 3:1 against white.
ARM_COLOURS = {"MSC": "#0072B2", "placebo": "#D55E00"}
ARMS = list(ARM_COLOURS)

_EMBED = """<div class="covidat-chart" id="{id}" role="img" aria-label="{alt}" tabindex="0"
     style="max-width: 100%; overflow-x: auto"></div>
<script type="text/javascript">
(function () {{
  var el = document.getElementById("{id}");
  if (typeof vegaEmbed === "undefined") {{
    el.textContent = "This chart needs the Vega library shipped with the book's website.";
    return;
  }}
  vegaEmbed(el, {spec}, {{"renderer": "svg", "actions": false}})
    .catch(function (err) {{ el.textContent = "Chart error: " + err.message; console.error(err); }});
}})();
</script>"""


def arm_colour() -> alt.Scale:
    """The colour scale every chart uses for the two arms."""
    return alt.Scale(domain=ARMS, range=list(ARM_COLOURS.values()))


def render(spec: dict, **_) -> dict:
    """Altair renderer: HTML with an id derived from the spec, so re-runs give identical output."""
    if not spec.get("description"):
        raise ValueError("Every chart needs a description (its text alternative): "
                         "pass description=... to alt.Chart or .properties().")
    text = json.dumps(spec, sort_keys=True)
    chart_id = "covidat-chart-" + hashlib.sha256(text.encode()).hexdigest()[:12]
    return {
        "text/html": _EMBED.format(id=chart_id, alt=escape(spec["description"]),
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
            "axis": {"labelFontSize": 12, "titleFontSize": 13, "grid": True, "gridColor": "#e5e5e5"},
            "legend": {"labelFontSize": 12, "titleFontSize": 13, "orient": "top"},
            "title": {"fontSize": 15, "anchor": "start"},
        }
    }


def setup() -> None:
    """Enable the book's theme and renderer (called once in each chapter's preamble)."""
    alt.theme.register("covidat", enable=True)(theme)
    alt.renderers.register("covidat", render)
    alt.renderers.enable("covidat")


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


def forest(table, description: str, x_title: str = "Odds ratio of death (log scale)") -> alt.LayerChart:
    """Forest plot: one row per `label` with `estimate`, `ci_low`, `ci_high` and `kind`
    (one of FOREST_KINDS, or 'not reported'); rows appear in table order.

    The chart takes the width of its container; the log axis spans whole decades around every
    interval and is labelled at powers of ten only, so no interval is clipped and no tick labels
    collide."""
    order = list(table["label"])
    ticks = _decades(table["ci_low"].min(), table["ci_high"].max())
    scale = alt.Scale(type="log", domain=[ticks[0], ticks[-1]], nice=False)
    axis = alt.Axis(values=ticks, format="~g", labelFlush=True, titleAnchor="end")  # title grows leftwards
    base = alt.Chart(table).encode(y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=180)))
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
        base.transform_filter("datum.kind == 'not reported'").mark_text(align="center", fontStyle="italic")
            .encode(x=alt.datum(1), text=alt.value("not reported")),
    ).properties(description=description, width="container", height=24 * len(order),
                 autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


# Paul Tol's dark "muted" colours: distinct under common colour-vision deficiencies, each well
# above 3:1 against white, and none of them an arm colour (these lines are assumptions, not arms).
ASSUMPTION_COLOURS = ["#332288", "#117733", "#882255", "#44AA99"]


def power_curve_chart(curve, description: str, observed: float | None = None,
                      target_power: float = 0.8) -> alt.LayerChart:
    """Power against the true difference, one line per assumed SD (a `covidat.power.power_curve` table).

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
