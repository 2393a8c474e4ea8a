"""Official SN-Net v1 checkpoints -> ours for the four code bases: every key consumed, the round trip
exact, every stitch's forward equal to the official semantics (``v1_layout.official_forward``)."""
from __future__ import annotations

import pytest
import torch

from snnet_mm.interop.convert_v1 import inspect_v1, ours_to_v1, v1_to_ours
from snnet_mm.interop.v1_ids import v1_ids
from snnet_mm.stitching import StitchedNetwork

from . import v1_layout as vl

PREFIX = 'backbone.net.'
CASES = sorted(vl.CASES)
_CONVERTED: dict = {}


def converted(case: str):
    if case not in _CONVERTED:
        official, _ = vl.official_state(case)
        ours, report, info = v1_to_ours(official, case.split(':')[0])
        specs, stages = vl.CASES[case]
        net = StitchedNetwork(specs, mode='v1', stages=stages or None).eval()
        backbone = {k[len(PREFIX):]: v for k, v in ours.items()}
        missing, unexpected = net.load_state_dict(backbone, strict=False)
        assert not missing and not unexpected, (missing, unexpected)
        _CONVERTED[case] = (official, ours, report, info, net, vl.reference_models(case, official))
    return _CONVERTED[case]


@pytest.mark.parametrize('case', CASES)
def test_every_key_is_mapped_checked_or_dropped_with_a_reason(case):
    official, ours, report, info, net, _ = converted(case)
    assert report.consumed == set(official)
    assert all(why for _, why in report.dropped)
    assert len(report.lines()) == len(report.mapped) + len(report.checked) + len(report.dropped) + len(report.filled)
    family = {'v1-deit': 'vit', 'v1-swin': 'swin', 'v1-levit': 'levit'}.get(case)
    assert info.families == (family,) * len(info.families) if family else info.families[0] == 'resnet'
    if case in ('v1-swin', 'v1-resnet-swin:r18-swin'):  # Swin's derived buffers are verified, not copied
        assert any(k.endswith('attn_mask') for k in report.checked)
        assert any(k.endswith('relative_position_index') for k in report.checked)
    if case == 'v1-levit':
        assert sum(k.endswith('attention_bias_idxs') for k in report.checked) == sum(
            k.endswith('attention_biases') for k in official)


@pytest.mark.parametrize('case', CASES)
def test_round_trip_returns_the_official_state_dict(case):
    official, ours, _, _, _, _ = converted(case)
    back, report = ours_to_v1(ours, case.split(':')[0], img_size=vl.IMG)
    assert set(back) == set(official)
    for k, v in official.items():
        assert torch.equal(back[k].to(v.dtype), v), k
    assert report.consumed == set(ours)


@pytest.mark.parametrize('case', CASES)
def test_every_stitch_matches_the_official_forward(case):
    official, _, _, info, net, models = converted(case)
    configs = vl.official_configs(info.depths, info.stages)
    ids = v1_ids(net.stitches)
    assert sorted(i for i in ids if i is not None) == list(range(len(configs)))
    x = torch.randn(1, 3, vl.IMG, vl.IMG)
    with torch.no_grad():
        for index, v1_id in enumerate(ids):
            net.set_stitch(index)
            expected = vl.official_forward(case, official, models, configs[v1_id], x)
            torch.testing.assert_close(net(x), expected, atol=1e-4, rtol=1e-4)


def test_unequal_depths_copy_one_official_layer_into_each_stitch_it_serves():
    # R18 / R50 tiny, stage 2: 2 -> 6 blocks; official layer 0 serves (f, e) = (0, 1), (0, 2), (1, 3).
    official, ours, report, _, _, _ = converted('v1-resnet-swin:r18-r50')
    served = [d for s, d in report.mapped if s == 'stitch_layers.1.0.0.transform.weight']
    assert [d.split('.')[3] for d in served] == ['a0_to_a1_s2_f0_e1', 'a0_to_a1_s2_f0_e2', 'a0_to_a1_s2_f1_e3']
    assert ours[served[2]].shape == official['stitch_layers.1.0.0.transform.weight'].shape[:2]
    diverged = dict(ours)
    diverged[served[2]] = diverged[served[2]] + 1
    with pytest.raises(ValueError, match='differ'):
        ours_to_v1(diverged, 'v1-resnet-swin', img_size=vl.IMG)


def test_bad_inputs_name_the_key():
    official, _, _, _, _, _ = converted('v1-levit')
    with pytest.raises(ValueError, match='code_base'):
        v1_to_ours(official, 'v1-vit')
    extra = dict(official, **{'anchors.0.unknown.weight': torch.zeros(1)})
    with pytest.raises(ValueError, match=r'not converted: \[.anchors.0.unknown.weight'):
        v1_to_ours(extra, 'v1-levit')
    bad = dict(official)
    key = next(k for k in official if k.endswith('attention_bias_idxs'))
    bad[key] = bad[key].flip(0)
    with pytest.raises(ValueError, match='differs from the LeViT index'):
        v1_to_ours(bad, 'v1-levit')
    assert inspect_v1(official, 'v1-levit').depths == ((3, 3, 1), (3, 3, 1))
