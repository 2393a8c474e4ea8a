"""Stitch choice by index, printed route, registered string form, or FLOPs budget."""
from __future__ import annotations

import pytest

from snnet_mm.stitching import selection
from snnet_mm.stitching.selection import pick_within_gflops, resolve_stitch, stitch_argument
from snnet_mm.stitching.stitch import enumerate_stitches

STITCHES = enumerate_stitches((3, 6)).stitches


@pytest.mark.parametrize('index', range(len(STITCHES)))
def test_every_printed_route_and_its_compact_form_name_their_stitch(index):
    route = STITCHES[index].route
    assert resolve_stitch(route, STITCHES) == index
    assert resolve_stitch(route.replace(' ', ''), STITCHES) == index
    assert resolve_stitch(index, STITCHES) == index


def test_route_outside_the_space_lists_the_nearest_valid_routes():
    with pytest.raises(ValueError, match=r"stitch: route 'S\[0:2\] -> L\[5:6\]' is not in the trained stitch "
                                         r"space; nearest valid routes: \d+: 'S\[0:2\] -> L\[\d:6\]'"):
        resolve_stitch('S[0:2] -> L[5:6]', STITCHES)


def test_route_of_other_anchors_says_which_names_exist():
    with pytest.raises(ValueError, match=r"route 'B\[0:2\]->L\[4:6\]' uses anchors \['B'\], not among "
                                         r"\['L', 'S'\]; nearest valid routes: "):
        resolve_stitch('B[0:2]->L[4:6]', STITCHES)


@pytest.mark.parametrize('bad', [-1, len(STITCHES), 1.5, True, None])
def test_bad_index_names_the_field(bad):
    with pytest.raises(ValueError, match=r'^stitch: (stitch index .* out of range|expected a stitch index)'):
        resolve_stitch(bad, STITCHES)


@pytest.mark.parametrize('text', ['-1', ' -1', '-7', '+999'])
def test_a_negative_stitch_argument_is_an_index(text):
    """``--stitch -1`` is a bad index, not a route "not in the trained stitch space"."""
    with pytest.raises(ValueError, match=rf'^--stitch: stitch index {int(text)} out of range \[0, '):
        resolve_stitch(stitch_argument(text), STITCHES, field_name='--stitch')
    assert stitch_argument('7') == 7 and stitch_argument('S[0:2] -> L[4:6]') == 'S[0:2] -> L[4:6]'


def test_registered_string_form_is_the_extension_point(monkeypatch):
    monkeypatch.setitem(selection.STRING_FORMS, 'last', lambda arg, stitches, field: len(stitches) - 1 - int(arg))
    assert resolve_stitch('last:0', STITCHES) == len(STITCHES) - 1
    assert resolve_stitch('last: 2', STITCHES) == len(STITCHES) - 3


def test_budget_picks_the_most_expensive_stitch_within_it():
    gflops = [float(i % 5) + 1 for i in range(len(STITCHES))]
    chosen = pick_within_gflops(3.5, gflops, STITCHES)
    assert gflops[chosen] == 3.0 and chosen == gflops.index(3.0)
    assert resolve_stitch(dict(max_gflops=3.5), STITCHES,
                          pick_budget=lambda b: pick_within_gflops(b['max_gflops'], gflops, STITCHES)) == chosen


def test_budget_below_the_cheapest_names_the_cheapest():
    gflops = [2.0 + i for i in range(len(STITCHES))]
    with pytest.raises(ValueError, match=r"stitch\.max_gflops: budget 1 GFLOPs is below the cheapest stitch 0 "
                                         rf"\({STITCHES[0].route.replace('[', '.').replace(']', '.')}, 2 GFLOPs\)"):
        pick_within_gflops(1, gflops, STITCHES)


@pytest.mark.parametrize('bad', [dict(max_gflop=3), dict(results='x.json'), dict(max_gflops=1, extra=2)])
def test_malformed_budget_names_the_field(bad):
    with pytest.raises(ValueError, match=r'stitch: a budget is dict\(max_gflops=G'):
        resolve_stitch(bad, STITCHES, pick_budget=lambda b: 0)
