"""Official checkpoints -> ours: every key consumed, round trips exact, every stitch's forward
equal to the official semantics (``official_layout.official_forward``)."""
from __future__ import annotations

import pytest
import torch

from snnet_mm.interop import official_to_ours, ours_to_official, ours_to_official_id
from snnet_mm.stitching import StitchedViT

from . import official_layout as ol

PREFIX = 'backbone.net.'


def anchors(seg: bool, num_classes: int = 7) -> list[dict]:
    name = 'deit3_small_patch16_relpos' if seg else 'deit3_small_patch16_224'
    extra = {} if seg else dict(num_classes=num_classes)
    return [dict(name=name, model_kwargs=dict(embed_dim=w, depth=d, num_heads=ol.HEADS, img_size=ol.IMG, **extra))
            for w, d in zip(ol.WIDTHS, (ol.DS, ol.DL))]


def build(seg: bool, rank: int | None) -> StitchedViT:
    return StitchedViT(anchors(seg), out_indices=ol.OUT_LARGE if seg else None, lora_rank=rank, lora_alpha=1.0).eval()


def load(net: StitchedViT, ours: dict) -> None:
    backbone = {k[len(PREFIX):]: v for k, v in ours.items() if k.startswith(PREFIX)}
    missing, unexpected = net.load_state_dict(backbone, strict=False)
    assert not missing and not unexpected, (missing, unexpected)


@pytest.mark.parametrize('seg', [True, False], ids=['seg', 'cls'])
@pytest.mark.parametrize('merge', [False, True], ids=['lora-kept', 'lora-merged'])
def test_every_stitch_matches_the_official_forward(seg, merge):
    official = ol.seg_state() if seg else ol.cls_state()
    ours, report, info = official_to_ours(official, 'seg' if seg else 'cls', merge_lora=merge)
    assert report.consumed == set(official)
    assert info.depths == (ol.DS, ol.DL) and info.lora_rank == ol.RANK and info.relpos == seg
    net = build(seg, None if merge else ol.RANK)
    load(net, ours)
    img = torch.randn(2, 3, ol.IMG, ol.IMG)
    for index in range(net.num_stitches):
        official_id = ours_to_official_id(index, (ol.DS, ol.DL), net.stitches)
        expected = ol.official_forward(official, img, official_id, seg=seg, rank=ol.RANK)
        net.set_stitch(index)
        with torch.no_grad():
            got = net(img)
        if seg:
            assert len(got) == len(expected) == len(ol.OUT_LARGE)
            for g, e in zip(got, expected):
                torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-4)
        else:
            torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('seg', [True, False], ids=['seg', 'cls'])
def test_round_trips_are_exact(seg):
    task = 'seg' if seg else 'cls'
    official = ol.seg_state() if seg else ol.cls_state()
    ours, _, _ = official_to_ours(official, task)
    back, report = ours_to_official(ours, task)
    assert report.consumed == set(ours)
    again, _, _ = official_to_ours(back, task)
    assert again.keys() == ours.keys()
    for k in ours:
        assert torch.equal(again[k], ours[k]), k
    # official -> ours -> official: the same tensors, except the never-trained SL layer that
    # classification has no use for (dropped, then written back as zeros).
    untrained = f'stitch_layers.0.{ol.DS - 1}.'
    assert back.keys() == official.keys()
    for k in official:
        if not (not seg and k.startswith(untrained)):
            assert torch.equal(back[k], official[k]), k


def test_a_left_over_key_is_an_error_naming_it():
    official = ol.seg_state()
    official['backbone.anchors.0.layers.0.attn.q_bias'] = torch.zeros(ol.WIDTHS[0])
    with pytest.raises(ValueError, match='q_bias'):
        official_to_ours(official, 'seg')


def test_a_changed_relative_position_index_is_an_error():
    official = ol.seg_state()
    official['backbone.anchors.1.layers.2.attn.relative_position_index'] = torch.zeros_like(
        official['backbone.anchors.1.layers.2.attn.relative_position_index'])
    with pytest.raises(ValueError, match='relative_position_index'):
        official_to_ours(official, 'seg')


def test_converted_state_loads_into_our_model_without_missing_or_unexpected_keys():
    ours, _, _ = official_to_ours(ol.seg_state(rank=None), 'seg')
    net = build(True, None)
    assert set(net.state_dict()) == {k[len(PREFIX):] for k in ours if k.startswith(PREFIX)}


def test_bad_task_is_a_value_error():
    with pytest.raises(ValueError, match='task'):
        official_to_ours(ol.cls_state(), 'det')
