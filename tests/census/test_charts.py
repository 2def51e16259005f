"""Charts people can read: round axis steps, labels that never overlap, a chart that fills its card."""

import re

import pytest

from census.charts import bar_chart, label_width, nice_step


@pytest.mark.parametrize(
    ("top", "step"),
    [
        (1, 1),
        (3, 1),
        (7, 2),
        (10, 2.5),
        (37, 10),
        (1234, 500),
        (3_200_000, 1_000_000),
        (9_999, 2500),
    ],
)
def test_the_axis_steps_are_round_numbers_that_reach_the_top(top, step):
    assert nice_step(top) == step and 4 * step >= top


def axis_values(svg: str) -> list[str]:
    return re.findall(r'text-anchor="end" font-size="10">([\d,.]+)</text>', svg)


def test_a_chart_fills_its_card_and_its_axis_reads_round_numbers():
    svg = str(bar_chart(categories=["ป.1", "ป.2"], series=[("ชาย", [1234, 800])], title="จำนวน"))
    assert 'viewBox="0 0 ' in svg and " width=" not in svg.split(">")[0]
    assert axis_values(svg) == ["0", "500", "1,000", "1,500", "2,000"]
    assert 'role="img" aria-label="จำนวน"' in svg


def test_short_labels_stand_and_long_ones_are_turned_so_they_never_overlap():
    short = str(bar_chart(categories=["ป.1", "ป.2"], series=[("a", [1, 2])], title="t"))
    assert "rotate(" not in short
    names = ["สพป.เชียงใหม่ เขต 1", "สพป.เชียงใหม่ เขต 2", "สพม.เชียงใหม่"]
    long = str(bar_chart(categories=names, series=[("a", [1, 2, 3])], title="t"))
    assert long.count("rotate(-45") == len(names)
    # Turned labels fit under the plot: the chart grows rather than cutting them off.
    height = float(re.search(r'viewBox="0 0 [\d.]+ ([\d.]+)"', long).group(1))
    assert height >= 220 + 0 and max(label_width(n) for n in names) * 0.72 < height


def test_thai_marks_take_no_width_in_a_labels_estimate():
    assert label_width("ป่า") == label_width("ปา")
