"""The quickstart's story check on hand-made sweep records."""
from __future__ import annotations

import pytest

from snnet_mm.stitching.pareto import pareto_front
from snnet_mm.quickstart.story import summarize

M = 'accuracy/top1'


def _records(points: list[tuple[str, float, float]]) -> list[dict]:
    rows = [dict(index=i, route=route, kind='anchor' if route in ('S', 'L') else 'stitch', flops=flops, **{M: acc})
            for i, (route, flops, acc) in enumerate(points)]
    return [{**r, 'pareto': flag} for r, flag in zip(rows, pareto_front(rows, M))]


def test_front_rising_from_small_to_large():
    story = summarize(_records([('S', 1, 80.0), ('a', 5, 90.0), ('b', 6, 85.0), ('L', 12, 97.0)]), M)
    assert story['anchors_on_front'] and story['front_rises']
    assert [r['route'] for r in story['front']] == ['S', 'a', 'L'] and story['gap'] == pytest.approx(17.0)


def test_stitches_of_equal_flops_and_accuracy_are_one_point_of_a_rising_front():
    story = summarize(_records([('S', 1, 80.0), ('a', 5, 90.0), ('b', 5, 90.0), ('L', 12, 97.0)]), M)
    assert len(story['front']) == 4 and story['front_rises']


@pytest.mark.parametrize('points', [
    [('S', 1, 80.0), ('a', 10, 98.0), ('L', 12, 97.0)],  # a stitch above L: L is off the front
    [('S', 1, 80.0), ('a', 10, 97.0), ('L', 12, 97.0)],  # a cheaper stitch as good as L
])
def test_large_anchor_off_the_front_breaks_the_story(points):
    story = summarize(_records(points), M)
    assert not story['anchors_on_front'] and not story['front_rises']
