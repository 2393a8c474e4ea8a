"""SN-Net v1 cfg_ids <-> ours for the five published v1 models (four code bases)."""
from __future__ import annotations

import pytest

from snnet_mm.interop import v1_id_map, v1_ids, v1_stitches
from snnet_mm.interop.v1_ids import V1_RELEASES, stage_positions, window_positions
from snnet_mm.stitching import enumerate_stitches
from snnet_mm.stitching.selection import parse_stitch_set, resolve_stitch

# Lines of the published results files (ziplab/SN-Net */results/*.txt): one per cfg_id.
PUBLISHED_COUNTS = {'deit-ti-s-b': 71, 'swin-t-s-b': 41, 'r18-r50': 10, 'r18-swin-t': 8, 'levit-192-256': 8}


def v1_space(name: str, mode: str = 'v1'):
    release = V1_RELEASES[name]
    return enumerate_stitches(list(release.depths), mode=mode, stages=release.stages or None)


@pytest.mark.parametrize('name', sorted(V1_RELEASES))
def test_official_enumeration_has_the_published_count_and_maps_onto_our_v1_space(name):
    release = V1_RELEASES[name]
    official = v1_stitches(release.depths, stages=release.stages)
    assert len(official) == PUBLISHED_COUNTS[name]
    space = v1_space(name)
    assert len(space) == len(official)
    # The ids computed from our stitches alone (layer keys) name the same routes as the
    # independent enumeration of the official rule.
    mapping = v1_id_map(space.stitches)
    assert sorted(mapping) == list(range(len(official)))
    for o in official:
        assert space.stitches[mapping[o.id]].segments == o.segments
    assert [o.id for o in official[:len(release.depths)]] == list(range(len(release.depths)))


def test_swin_ids_run_stage_by_stage_then_pair_by_pair():
    official = v1_stitches(V1_RELEASES['swin-t-s-b'].depths, stages=(0, 1, 2))
    order = [(o.stage, o.segments[0].anchor) for o in official[3:]]
    assert order == sorted(order)
    counts = {}
    for stage, pair in order:
        counts[stage, pair] = counts.get((stage, pair), 0) + 1
    assert counts == {(0, 0): 1, (0, 1): 1, (1, 0): 1, (1, 1): 1, (2, 0): 17, (2, 1): 17}
    # Ours run pair by pair: the ids differ from our indices from the first stage-1 stitch on.
    ours = v1_id_map(v1_space('swin-t-s-b').stitches)
    assert [ours[i] for i in range(5)] == [0, 1, 2, 3, 22]


def test_unequal_stage_depths_use_the_layer_of_the_kth_stitch_not_the_front_block():
    # R18 / R50 stage 2: 2 -> 6 blocks; stitches (f, e) and the official layer of each.
    assert stage_positions(2, 6) == [(0, 1, 0), (0, 2, 0), (1, 3, 0), (1, 4, 1), (1, 5, 1)]
    assert stage_positions(2, 4) == [(0, 1, 0), (1, 2, 0), (1, 3, 1)]
    assert stage_positions(4, 4) == [(0, 1, 0), (1, 2, 1), (2, 3, 2)]
    assert window_positions(3) == [(0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 1, 0), (1, 2, 1), (2, 1, 1), (2, 2, 1)]


def test_v1_form_wherever_a_stitch_is_chosen():
    stitches = v1_space('swin-t-s-b').stitches
    assert resolve_stitch('v1:4', stitches) == 22
    assert resolve_stitch(' v1:0', stitches) == 0
    assert parse_stitch_set('v1:0,v1:4, 5', stitches) == [0, 22, 5]
    with pytest.raises(ValueError, match=r'stitch: v1 stitch 41 out of range \[0, 41\)'):
        resolve_stitch('v1:41', stitches)
    with pytest.raises(ValueError, match=r"stitch: expected 'v1:<cfg_id>'"):
        resolve_stitch('v1:x', stitches)
    with pytest.raises(ValueError, match='these stitches have no v1 ids'):
        resolve_stitch('v1:3', enumerate_stitches((12, 24)).stitches)


def test_v2_hierarchical_spaces_keep_the_v1_ids_of_their_v1_stitches():
    v1 = v1_space('r18-r50')
    v2 = v1_space('r18-r50', mode='v2')
    ids_v1 = dict(zip((s.segments for s in v1.stitches), v1_ids(v1.stitches)))
    ids_v2 = v1_ids(v2.stitches)
    for stitch, v1_id in zip(v2.stitches, ids_v2):
        assert v1_id == ids_v1.get(stitch.segments)
    assert ids_v2.count(None) == sum(s.kind == 'LS' for s in v2.stitches) > 0


def test_no_v1_ids_without_every_anchor_or_for_v2_plain_vits():
    assert v1_id_map(enumerate_stitches((12, 24)).stitches) == {}
    only_sl = enumerate_stitches([12, 12], mode='v1', kinds=('SL',)).stitches
    assert v1_id_map(only_sl) == {}
