"""Enumeration of the stitch space (counts, kinds, routes, selection, validation)."""
from __future__ import annotations

import dataclasses
import math
from collections import Counter

import pytest

from snnet_mm.stitching.stitch import Segment, Stitch, enumerate_stitches


def expected_v2_count(d_small: int) -> int:
    points = d_small - 1  # boundaries where a jump can happen in both directions
    return 2 + 2 * points + 2 * math.comb(points, 2)


def nearest_large_boundary(b: int, d_small: int, d_large: int) -> int:
    """round(b * d_large / d_small) with halves rounded up, computed independently in floats."""
    return math.floor(b * d_large / d_small + 0.5)


def test_deit3_s_l_space_has_134_stitches_with_official_kind_counts():
    space = enumerate_stitches((12, 24))
    assert len(space) == 134
    assert Counter(s.kind for s in space.stitches) == {'anchor': 2, 'SL': 11, 'LS': 11, 'LSL': 55, 'SLS': 55}


@pytest.mark.parametrize('depths', [(2, 4), (3, 6), (4, 4), (3, 5), (12, 24)])
def test_v2_count_follows_two_way_formula(depths):
    space = enumerate_stitches(depths)
    assert len(space) == expected_v2_count(depths[0])
    assert len(set(space.stitches)) == len(space), 'stitches must be distinct'


def test_v1_small_to_large_only():
    space = enumerate_stitches((12, 24), mode='v1')
    assert len(space) == 13
    assert Counter(s.kind for s in space.stitches) == {'anchor': 2, 'SL': 11}
    for s in space.stitches:
        assert [seg.anchor for seg in s.segments] in ([0], [1], [0, 1])


def test_v1_three_equal_depth_anchors_sliding_window_gives_71():
    space = enumerate_stitches((12, 12, 12), mode='v1')
    assert len(space) == 71
    assert Counter(s.kind for s in space.stitches) == {'anchor': 3, 'SL': 68}
    # Only neighbouring anchors are stitched, always cheaper -> more expensive.
    pairs = Counter(tuple(seg.anchor for seg in s.segments) for s in space.stitches if s.kind == 'SL')
    assert pairs == {(0, 1): 34, (1, 2): 34}


@pytest.mark.parametrize('kinds,expected', [
    (('SL',), {'SL': 11}),
    (('LS',), {'LS': 11}),
    (('anchor', 'SL'), {'anchor': 2, 'SL': 11}),
    (('LSL', 'SLS'), {'LSL': 55, 'SLS': 55}),
])
def test_kinds_switch_selects_only_those_kinds(kinds, expected):
    space = enumerate_stitches((12, 24), kinds=kinds)
    assert Counter(s.kind for s in space.stitches) == expected


def test_kinds_subset_only_keeps_layers_it_uses():
    space = enumerate_stitches((12, 24), kinds=('SL',))
    assert {spec.key for spec in space.layers} == {k for s in space.stitches for k in s.layers}
    assert all(spec.src == 0 and spec.dst == 1 for spec in space.layers)


def test_selected_keeps_the_given_order():
    full = enumerate_stitches((3, 6))
    space = enumerate_stitches((3, 6), selected=[5, 0, 3])
    assert space.stitches == (full.stitches[5], full.stitches[0], full.stitches[3])
    assert {spec.key for spec in space.layers} == {k for s in space.stitches for k in s.layers}


@pytest.mark.parametrize('selected', [[0, 8], [-1], [0, 0], [1, 2, 1], [1.0]])
def test_selected_rejects_out_of_range_and_duplicates(selected):
    with pytest.raises(ValueError, match='selected'):
        enumerate_stitches((3, 6), selected=selected)


@pytest.mark.parametrize('depths', [(2, 4), (3, 6), (4, 4), (3, 5), (12, 24)])
def test_routes_are_contiguous_and_jump_at_mapped_boundaries(depths):
    ds, dl = depths
    space = enumerate_stitches(depths)
    for s in space.stitches:
        segs = s.segments
        assert len(s.layers) == len(segs) - 1
        assert segs[0].start == 0, s.route
        assert segs[-1].end == depths[segs[-1].anchor], s.route
        for seg in segs:
            assert 0 <= seg.start < seg.end <= depths[seg.anchor], s.route
        for prev, nxt, key in zip(segs, segs[1:], s.layers):
            assert prev.anchor != nxt.anchor, s.route
            # Jumps happen at the same relative depth: small boundary b <-> large boundary round(b*r).
            small_b, large_b = (prev.end, nxt.start) if prev.anchor == 0 else (nxt.start, prev.end)
            assert 0 < small_b < ds, s.route
            assert large_b == nearest_large_boundary(small_b, ds, dl), s.route
            # The layer joining them maps exactly that pair of boundaries.
            spec = space.layer(key)
            assert (spec.src, spec.dst) == (prev.anchor, nxt.anchor)
            assert spec.fits == ((prev.end, nxt.start),)
        expected_kind = {(0,): 'anchor', (1,): 'anchor', (0, 1): 'SL', (1, 0): 'LS',
                         (0, 1, 0): 'SLS', (1, 0, 1): 'LSL'}[tuple(seg.anchor for seg in segs)]
        assert s.kind == expected_kind


def test_deit3_routes_follow_the_paper_mapping():
    # SL: leave small after block i, enter large at block (i+1)*2; LS: leave large after
    # block j, enter small at j//2 + 1.
    space = enumerate_stitches((12, 24))
    sl = [s for s in space.stitches if s.kind == 'SL']
    assert [(s.segments[0].end - 1, s.segments[1].start) for s in sl] == [(i, (i + 1) * 2) for i in range(11)]
    ls = [s for s in space.stitches if s.kind == 'LS']
    assert sorted((s.segments[0].end - 1, s.segments[1].start) for s in ls) == \
        [(2 * p - 1, (2 * p - 1) // 2 + 1) for p in range(1, 12)]
    # Leaving small after its last block into large after its last block is excluded.
    assert all(s.segments[0].end < 12 for s in sl)


def test_stitches_reuse_layers_two_per_jump_position():
    space = enumerate_stitches((12, 24))
    assert len(space.layers) == 22
    used = Counter(k for s in space.stitches for k in s.layers)
    assert set(used) == {spec.key for spec in space.layers}


def test_stitch_is_frozen_and_hashable():
    s = enumerate_stitches((2, 4)).stitches[2]
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.kind = 'LS'
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.segments[0].end = 2
    same = Stitch(tuple(Segment(g.anchor, g.start, g.end) for g in s.segments), tuple(s.layers), s.kind,
                  ('small', 'large'))
    assert same == s and hash(same) == hash(s)
    assert len({s, same}) == 1


def test_route_is_readable():
    stitches = enumerate_stitches((2, 4)).stitches
    assert [str(s) for s in stitches] == ['S[0:2]', 'L[0:4]', 'S[0:1] -> L[2:4]', 'L[0:2] -> S[1:2]']
    assert stitches[2].route == 'S[0:1] -> L[2:4]'
    named = enumerate_stitches((2, 4), names=('deit3_s', 'deit3_l'))
    assert named.stitches[3].route == 'deit3_l[0:2] -> deit3_s[1:2]'


@pytest.mark.parametrize('kwargs,field', [
    (dict(depths=(12, 24), mode='v3'), 'mode'),
    (dict(depths=(12, 24), kinds=('SL', 'XX')), 'kinds'),
    (dict(depths=(12, 24), kinds=()), 'kinds'),
    (dict(depths=(12,)), 'depths'),
    (dict(depths=(0, 24)), 'depths'),
    (dict(depths=(24, 12)), 'depths'),
    (dict(depths=(4, 8, 12)), 'depths'),  # v2 stitches exactly two anchors
    (dict(depths=(12, 6), mode='v1'), 'depths'),
    (dict(depths=(12, 24), names=('S',)), 'names'),
])
def test_invalid_arguments_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        enumerate_stitches(**kwargs)


def test_v1_equal_depth_window_positions_are_neighbouring_blocks():
    # Kernel 2, stride 1: leave the cheaper anchor after block j, enter the next at block k,
    # for every |j - k| <= 1 (12 + 2 * 11 = 34 positions per neighbouring pair).
    space = enumerate_stitches((12, 12), mode='v1')
    positions = {(s.segments[0].end - 1, s.segments[1].start) for s in space.stitches if s.kind == 'SL'}
    assert positions == {(j, k) for j in range(12) for k in range(12) if abs(j - k) <= 1}
    for s in space.stitches:
        if s.kind == 'SL':
            spec = space.layer(s.layers[0])
            assert (s.segments[0].end, s.segments[1].start) in spec.fits


@pytest.mark.parametrize('spec, expected', [('all', list(range(4))), ('anchors', [0, 1]), ('3,1', [3, 1]),
                                            ([2], [2]), ('1, S[0:1] -> L[2:4]', [1, 2]),
                                            (['L[0:2] -> S[1:2]', 0], [3, 0])])
def test_parse_stitch_set(spec, expected):
    from snnet_mm.stitching.selection import parse_stitch_set
    assert parse_stitch_set(spec, enumerate_stitches([2, 4]).stitches) == expected


@pytest.mark.parametrize('spec, match', [('some', "stitches: expected 'all', 'anchors' or comma-separated"),
                                         ('0,9', r'stitches: stitch index 9 out of range \[0, 4\)'),
                                         ([True], 'stitches: expected a stitch index, a route'),
                                         ('S[0:1] -> L[1:4]', "stitches: route 'S\\[0:1\\] -> L\\[1:4\\]' is not in"),
                                         ([], 'stitches: no stitch selected')])
def test_parse_stitch_set_errors_name_the_field(spec, match):
    from snnet_mm.stitching.selection import parse_stitch_set
    with pytest.raises(ValueError, match=match):
        parse_stitch_set(spec, enumerate_stitches([2, 4]).stitches)
