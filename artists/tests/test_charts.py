from decimal import Decimal
from xml.etree import ElementTree

import pytest

from artists.charts import Series, bar_chart, line_chart, ranking_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))  # noqa: S314 - markup of our own making


def bars(svg: ElementTree.Element, css_class: str) -> list[ElementTree.Element]:
    return [rect for rect in svg.iter(f"{SVG}rect") if rect.get("class") == css_class][1:]


def test_a_chart_is_named_and_described_for_screen_readers():
    svg = parse(
        bar_chart(
            chart_id="members",
            title="Members by month",
            description="New and cancelled",
            labels=["03", "04"],
            series=[Series("New", (1, 2))],
        )
    )

    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "members-title members-desc"
    assert svg.find(f"{SVG}title").text == "Members by month"
    assert svg.find(f"{SVG}desc").text == "New and cancelled"


def test_bars_are_as_tall_as_their_values_and_negative_ones_hang_below_zero():
    svg = parse(
        bar_chart(
            chart_id="c",
            title="t",
            description="d",
            labels=["Jan", "Feb", "Mar"],
            series=[Series("Net", (4, 2, -2))],
        )
    )

    # The legend's swatch comes first; then one bar per month.
    jan, feb, mar = bars(svg, "series-1")
    heights = [float(bar.get("height")) for bar in (jan, feb, mar)]
    assert heights[0] == pytest.approx(heights[1] * 2, abs=0.2)
    assert heights[1] == pytest.approx(heights[2], abs=0.1)
    zero = float(jan.get("y")) + heights[0]
    assert float(feb.get("y")) + heights[1] == pytest.approx(zero, abs=0.1)
    assert float(mar.get("y")) == zero  # starts at the zero line and goes down
    assert mar.find(f"{SVG}title").text == "Net, Mar: -2"


def test_text_is_escaped_not_markup():
    svg = parse(
        ranking_chart(
            chart_id="c",
            title="<script>",
            description="d",
            labels=['<b>"Loud" & clear</b>'],
            values=[Decimal("12.50")],
        )
    )

    assert svg.find(f"{SVG}title").text == "<script>"
    assert [element.tag for element in svg.iter()].count(f"{SVG}b") == 0
    assert '<b>"Loud" & clear</b>: 12.50' in [t.text for t in svg.iter(f"{SVG}title")]


def test_ranking_bars_are_proportional_and_long_names_shortened():
    name = "A very long post text that would never fit beside its bar"
    svg = parse(
        ranking_chart(
            chart_id="c", title="t", description="d", labels=[name, "Short"], values=[10, 5]
        )
    )

    first, second = [rect for rect in svg.iter(f"{SVG}rect")]
    assert float(first.get("width")) == pytest.approx(2 * float(second.get("width")), abs=0.2)
    labels = [text.text for text in svg.iter(f"{SVG}text")]
    assert labels[0].endswith("…") and len(labels[0]) < len(name)
    assert first.find(f"{SVG}title").text == f"{name}: 10"  # the full name on hover


def test_nothing_but_zeros_draws_flat_charts_without_failing():
    svg = parse(
        line_chart(
            chart_id="c",
            title="t",
            description="d",
            labels=["Jan", "Feb"],
            series=[Series("Sales", (Decimal("0.00"), Decimal("0.00")))],
        )
    )

    points = svg.find(f"{SVG}polyline").get("points").split()
    assert len(points) == 2
    assert len({point.split(",")[1] for point in points}) == 1
    ranking = parse(
        ranking_chart(chart_id="r", title="t", description="d", labels=["x"], values=[0])
    )
    assert float(ranking.find(f"{SVG}rect").get("width")) == 0


def axis_labels(svg: ElementTree.Element) -> list[str]:
    return [text.text for text in svg.iter(f"{SVG}text") if text.get("text-anchor") == "end"]


def test_the_value_axis_has_round_steps_and_counts_no_fractions():
    counts = parse(
        bar_chart(
            chart_id="c", title="t", description="d", labels=["a"], series=[Series("New", (3,))]
        )
    )
    money = parse(
        line_chart(
            chart_id="m",
            title="t",
            description="d",
            labels=["a", "b"],
            series=[Series("Sales", (Decimal("0.00"), Decimal("59.97")))],
        )
    )
    pennies = parse(
        line_chart(
            chart_id="p",
            title="t",
            description="d",
            labels=["a"],
            series=[Series("Sales", (Decimal("0.30"),))],
        )
    )

    assert axis_labels(counts) == ["0", "1", "2", "3"]
    assert axis_labels(money) == ["0", "20", "40", "60"]
    assert axis_labels(pennies) == ["0.0", "0.1", "0.2", "0.3"]
