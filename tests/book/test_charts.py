"""The offline renderer's contract, and drift between Altair and the shipped Vega bundle."""
import altair as alt
import pandas as pd
import pytest
import vl_convert
from myst_nb.ext.glue import GLUE_PREFIX

from covidat.book import charts

TABLE = pd.DataFrame({"arm": charts.ARMS, "days": [14, 23]})


def chart(**properties):
    return alt.Chart(TABLE, **properties).mark_bar().encode(x="days:Q", y="arm:N",
                                                            color=alt.Color("arm:N", scale=charts.arm_colour()))


def test_chart_without_text_alternative_is_refused():
    with pytest.raises(ValueError, match="needs a description"):
        charts.render(chart().to_dict())


def test_rendered_chart_is_deterministic_labelled_and_loads_nothing():
    spec = chart(description="Bars of median days by arm").to_dict()
    html = charts.render(spec)["text/html"]
    assert html == charts.render(spec)["text/html"]  # same output every run: nbval can compare it
    assert 'role="img" aria-label="Bars of median days by arm"' in html
    assert "<script src" not in html and "cdn." not in html and "requirejs" not in html


def test_book_execution_gives_html_and_a_live_notebook_gives_vega_lite(monkeypatch):
    # Catches charts left blank in JupyterLab (`make lab`): it prefers text/html, whose script needs the
    # book's page; and a build that would store every spec twice or lose its HTML.
    spec = chart(description="Bars of median days by arm").to_dict()
    monkeypatch.delenv(charts.LIVE_NOTEBOOK, raising=False)
    assert set(charts.render(spec)) == {"text/html", "text/plain"}
    monkeypatch.setenv(charts.LIVE_NOTEBOOK, "chapters/06_primary.ipynb")
    live = charts.render(spec)
    assert set(live) == {charts.LIVE_MIME_TYPE, "text/plain"} and live[charts.LIVE_MIME_TYPE] == spec


def test_live_notebook_shows_glued_charts_and_nothing_else_glued():
    # Catches charts blank in JupyterLab because every chapter glues them without showing them.
    def glued(data):
        return {"msg_type": "display_data", "content": {"data": {GLUE_PREFIX + k: v for k, v in data.items()}}}

    shown = charts._show_glued_chart(glued({charts.LIVE_MIME_TYPE: {"mark": "bar"}, "text/plain": "<chart>"}))
    assert shown["content"]["data"] == {charts.LIVE_MIME_TYPE: {"mark": "bar"}, "text/plain": "<chart>"}
    number = glued({"text/plain": "0.04"})
    assert charts._show_glued_chart(number) == glued({"text/plain": "0.04"})


def test_tick_labels_keep_apart():
    # Vega drops a tick label closer than this to its neighbour; without it "0.1" and "0.2" ran together.
    assert charts.theme()["config"]["axis"]["labelSeparation"] >= 2


def test_shipped_vega_lite_matches_altair():
    # The site bundles the Vega-Lite that Altair's specs are written for; a new Altair must not drift.
    minor = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]
    assert minor in vl_convert.get_vegalite_versions()


def test_arm_colours_are_fixed_and_distinct():
    assert list(charts.ARM_COLOURS) == ["MSC", "placebo"]
    assert len(set(charts.ARM_COLOURS.values())) == 2


def contrast_with_white(hex_colour: str) -> float:
    """WCAG 2 contrast ratio of a colour against white."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


@pytest.mark.parametrize("arm", charts.ARMS)
def test_arm_colours_meet_graphics_contrast(arm):
    assert contrast_with_white(charts.ARM_COLOURS[arm]) >= 3  # WCAG 1.4.11, non-text contrast


def test_arm_comparison_has_one_legend_and_fits_a_phone():
    table = pd.DataFrame({"endpoint_label": ["A", "A", "B", "B"], "arm": charts.ARMS * 2, "value": [1, 2, 14, 28]})
    spec = charts.arm_comparison(table, "value", "Value", description="dots").to_dict()
    colour, shape = spec["encoding"]["color"], spec["encoding"]["shape"]
    # Vega-Lite merges the colour and shape legends only if field, title and domain agree.
    assert colour["field"] == shape["field"] and colour["title"] == shape["title"]
    assert colour["scale"]["domain"] == shape["scale"]["domain"] == charts.ARMS
    assert spec["width"] <= 300  # panels plus axis labels stay inside a 360 px column
    assert spec["encoding"]["x"]["scale"]["zero"] is True


def test_forest_fits_its_container_and_shows_every_interval():
    table = pd.DataFrame({"label": ["a", "b", "c", "pooled"], "kind": ["pooled trial", "trial not pooled",
                                                                      "not reported", "pooled estimate"],
                          "estimate": [0.17, 3.0, None, 0.7], "ci_low": [0.004, 0.8, None, 0.4],
                          "ci_high": [7.8, 12.0, None, 1.1]})
    spec = charts.forest(table, description="forest").to_dict()
    assert spec["width"] == "container"
    scales = [layer["encoding"]["x"].get("scale") for layer in spec["layer"] if "scale" in layer["encoding"].get("x", {})]
    low, high = scales[0]["domain"]
    assert low <= table["ci_low"].min() and high >= table["ci_high"].max()  # nothing clipped
    ticks = [layer["encoding"]["x"]["axis"]["values"] for layer in spec["layer"] if "axis" in layer["encoding"].get("x", {})][0]
    assert ticks == [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]  # one label per decade: none collide


def test_forest_rows_print_each_odds_ratio_interval_and_weight():
    # A forest plot without each trial's numbers is what a reviewer sends back (issue 21).
    table = pd.DataFrame({"label": ["a", "b"], "kind": ["pooled trial", "not reported"], "estimate": [0.5, None],
                          "ci_low": [0.2, None], "ci_high": [1.25, None], "weight": [30.4, None]})
    rows = charts.forest(table, description="forest").data["row"].tolist()
    assert rows == ["a|0.50 (0.20 to 1.25), weight 30%", "b|not reported"]


def test_theme_draws_no_text_under_twelve_pixels():
    # Charts are narrowed on a phone, never scaled, so these sizes are what a reader sees.
    config = charts.theme()["config"]
    sizes = [config[part][key] for part in ("axis", "legend", "header", "title")
             for key in config[part] if key.endswith("FontSize")] + [config["text"]["fontSize"]]
    assert min(sizes) >= 12


class Dataset:
    def __init__(self, is_reconstruction):
        self.is_reconstruction = is_reconstruction


def test_chart_from_reconstructed_patients_says_so_inside_the_chart():
    spec = charts.from_patients(chart(description="d"), Dataset(True)).to_dict()
    assert spec["title"]["text"] == charts.RECONSTRUCTED_TITLE
    assert 'data-patients="true"' in charts.render(spec)["text/html"]


def test_chart_from_supplied_patients_carries_no_reconstruction_label():
    spec = charts.from_patients(chart(description="d"), Dataset(False)).to_dict()
    assert "title" not in spec and spec["usermeta"]["covidat"]["patients"] is True
