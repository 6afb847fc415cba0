"""The book's charts: one theme, one offline renderer, the few builders chapters share.

Every chart is rendered as HTML that calls the page's global `vegaEmbed` (shipped with
the site by `covidat.site`), so no chart loads anything from a CDN. Every chart must
carry a `description`: it becomes the SVG's accessible label.
"""
import hashlib
import json
from html import escape

import altair as alt

# Okabe–Ito blue and vermillion: distinct under every common colour-vision deficiency,
# and both at least 3:1 against white.
ARM_COLOURS = {"MSC": "#0072B2", "placebo": "#D55E00"}
ARMS = list(ARM_COLOURS)

_EMBED = """<div class="covidat-chart" id="{id}" role="img" aria-label="{alt}"></div>
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


def arm_comparison(table, value: str, label: str, description: str) -> alt.Chart:
    """Dot chart of one statistic per endpoint and arm (e.g. the published summaries)."""
    return alt.Chart(table, description=description).mark_point(filled=True, size=120).encode(
        x=alt.X(f"{value}:Q", title=label),
        y=alt.Y("arm:N", title=None, sort=ARMS),
        color=alt.Color("arm:N", scale=arm_colour(), title="Arm"),
        shape=alt.Shape("arm:N", sort=ARMS, title="Arm"),
        row=alt.Row("endpoint_label:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
        tooltip=["endpoint_label:N", "arm:N", f"{value}:Q"],
    ).resolve_scale(x="independent").properties(height=60)
