"""Official stitch ids <-> ours: the published 12/24 numbering and the rule for other depths."""
from __future__ import annotations

import pytest

from snnet_mm.interop import official_id_map, official_id_to_ours, official_stitches, ours_to_official_id, parse_official
from snnet_mm.stitching import enumerate_stitches


def test_12_24_ids_shift_by_one_after_the_untrained_stitch_13():
    mapping = official_id_map((12, 24))
    assert len(mapping) == 135
    assert mapping[13] is None
    assert all(mapping[i] == (i if i <= 12 else i - 1) for i in mapping if i != 13)
    kinds = [o.kind for o in official_stitches((12, 24))]
    assert kinds == ['anchor'] * 2 + ['SL'] * 12 + ['LS'] * 11 + ['LSL'] * 55 + ['SLS'] * 55


@pytest.mark.parametrize('depths', [(12, 24), (3, 6), (2, 4), (4, 4), (6, 12)])
def test_both_directions_agree_and_routes_match(depths):
    space = enumerate_stitches(depths)
    mapped = {o: i for o, i in official_id_map(depths).items() if i is not None}
    assert len(set(mapped.values())) == len(mapped)
    for o, i in mapped.items():
        assert ours_to_official_id(i, depths) == o
        assert official_stitches(depths)[o].segments == space.stitches[i].segments
    unmapped = [i for i in range(len(space)) if i not in mapped.values()]
    assert all(ours_to_official_id(i, depths) is None for i in unmapped)


def test_equal_depths_match_our_whole_space():
    assert sorted(i for i in official_id_map((4, 4)).values() if i is not None) == list(range(len(enumerate_stitches((4, 4)))))


def test_a_subset_of_stitches_maps_to_its_own_indices():
    subset = enumerate_stitches((12, 24), kinds=('anchor', 'LS')).stitches
    assert official_id_to_ours(14, (12, 24), subset) == 2
    assert official_id_to_ours(2, (12, 24), subset) is None


def test_parse_official():
    assert parse_official('official:29', (12, 24)) == 28
    assert parse_official(5, (12, 24)) is None
    with pytest.raises(ValueError, match='stitch: official stitch 13'):
        parse_official('official:13', (12, 24))
    with pytest.raises(ValueError, match=r"stitch: expected 'official:<id>'"):
        parse_official('official:x', (12, 24))
    with pytest.raises(ValueError, match='135'):
        parse_official('official:135', (12, 24))
