"""Reader tables (covidat.book.tables): labels replace ids, output is stable, wide tables stay reachable."""
import pandas as pd

from covidat.book import tables

FRAME = pd.DataFrame({"msc_n": [10, 12], "pf_day0_range": ["100-200", "50-150"], "hidden": [1, 2]})


def render(**kwargs):
    return tables.table(FRAME, labels={"msc_n": "MSC patients", "pf_day0_range": "Baseline PaO2/FiO2 (mmHg)"},
                        **kwargs).data


def test_labels_replace_ids_and_unlabelled_columns_are_dropped():
    html = render()
    assert "MSC patients" in html and "Baseline PaO2/FiO2 (mmHg)" in html
    assert "msc_n" not in html and "pf_day0_range" not in html and "hidden" not in html


def test_output_is_identical_on_every_run():
    assert render(caption="A") == render(caption="A")


def test_scrollable_table_is_a_named_keyboard_reachable_region():
    # axe-core's scrollable-region-focusable: a region that can scroll must take keyboard focus.
    html = render(caption="Deaths by arm", notes=("A note.",))
    assert 'role="region" aria-label="Deaths by arm" tabindex="0"' in html
    assert '<p class="covidat-table-note">A note.</p>' in html


def test_spanners_head_their_columns_and_the_source_is_noted():
    html = render(spanners={"Baseline": ["pf_day0_range"]}, source="the trial's abstract")
    assert html.count("Baseline") == 2  # the spanner over its column, and that column's own label
    assert html.index(">Baseline<") < html.index("Baseline PaO2/FiO2 (mmHg)")
    assert '<p class="covidat-table-note covidat-table-source">Source: the trial&#x27;s abstract</p>' in html


def test_a_spanner_over_a_column_not_shown_is_refused():
    import pytest
    with pytest.raises(ValueError, match="hidden"):
        render(spanners={"Other": ["hidden"]})


def test_identifiers_are_code_that_wraps_after_dots_and_underscores():
    # catches ids set as plain text (a phone breaks them mid-word) and markup in an id left unescaped
    assert tables.identifier("pf_change_day7.both.p") == "<code>pf_<wbr>change_<wbr>day7.<wbr>both.<wbr>p</code>"
    assert tables.identifier("a<b") == "<code>a&lt;b</code>"
    html = tables.table(pd.DataFrame({"claim_id": ["x.y"]}), {"claim_id": "Claim"},
                        formats={"claim_id": tables.identifier}).data
    assert "<code>x.<wbr>y</code>" in html
