"""Server-drawn charts: round axes, one path per series, markup that escapes and parses."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from digest.web.desk.ops.charts import Series, axis_top, line_chart, nice_step, percent

SVG = "{http://www.w3.org/2000/svg}"


def test_axes_end_on_round_steps() -> None:
    assert [nice_step(v) for v in (0, 0.3, 1, 1.2, 3, 7, 12, 480)] == [1, 0.5, 1, 2, 5, 10, 20, 500]
    assert axis_top(0) == 4 and axis_top(3) == 4 and axis_top(37) == 40 and axis_top(1234) == 2000
    assert axis_top(0, whole=False) == 1.0 and axis_top(0.42, whole=False) == 0.8
    assert axis_top(0.97, whole=False) == 1.0


def test_a_chart_names_itself_escapes_text_and_draws_each_series() -> None:
    svg = line_chart(
        "Opens <and> clicks",
        ["1 Jan", "2 Jan", "3 Jan"],
        [Series("opened", [0.5, None, 0.25]), Series("clicked & more", [0.1, 0.2, 0.3])],
        summary="per edition",
        fmt=percent,
    )
    root = ET.fromstring(str(svg))
    assert root.get("role") == "img" and root.get("viewBox") == "0 0 360 190"
    assert root.find(f"{SVG}title").text == "Opens <and> clicks"  # type: ignore[union-attr]
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 1  # the first series has a gap: no line across it, only its dots
    labels = [t.text for t in root.findall(f"{SVG}text")]
    assert "80%" in labels and "0%" in labels and "clicked & more" in labels
    assert "3 Jan" in labels


def test_an_empty_chart_says_so() -> None:
    root = ET.fromstring(str(line_chart("Nothing yet", [], [], summary="no edition sent")))
    assert [t.text for t in root.findall(f"{SVG}text")] == ["no edition sent"]
