"""The configs for converted published models build (on the meta device) with the published settings."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip('mmseg')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import CONFIGS, build_config_model  # noqa: E402

from snnet_mm.stitching.relpos_vit import RelPosVisionTransformer  # noqa: E402

OFFICIAL = CONFIGS / 'official'


@pytest.mark.parametrize('name, widths, rank, classes', [
    ('setr-naive_snnetv2-official_deit3-s-l_ade20k-512x512.py', (384, 1024), 16, 150),
    ('setr-naive_snnetv2-official_deit3-b-l_ade20k-512x512.py', (768, 1024), 4, 150),
    ('setr-naive_snnetv2-official_deit3-s-l_coco-stuff10k-512x512.py', (384, 1024), 16, 171),
    ('setr-naive_snnetv2-official_deit3-b-l_coco-stuff10k-512x512.py', (768, 1024), 4, 171),
])
def test_segmentation_configs(name, widths, rank, classes):
    cfg, model = build_config_model(OFFICIAL / name, 'mmseg')
    net = model.backbone.net
    assert all(isinstance(a.model, RelPosVisionTransformer) for a in net.anchors)
    assert tuple(a.width for a in net.anchors) == widths and net.num_stitches == 134
    assert net.anchors[0].blocks[0].attn.window_size == (32, 32)
    assert next(iter(net.stitch_layers.values())).rank == rank
    assert cfg.model.test_cfg == dict(mode='slide', crop_size=(512, 512), stride=(341, 341))
    assert model.decode_head.num_classes == classes


def test_classification_config():
    pytest.importorskip('mmpretrain')
    cfg, model = build_config_model(OFFICIAL / 'snnetv2-official_deit3-s-l_in1k.py', 'mmpretrain')
    assert model.backbone.net.num_stitches == 134
    assert next(iter(model.backbone.net.stitch_layers.values())).rank == 64
    assert cfg.test_dataloader.dataset.pipeline[1]['scale'] == 224


def test_relpos_training_config_reads_the_timm_deit3_anchor_files():
    from mmengine.config import Config
    path = CONFIGS / 'segmentation' / 'setr-naive_snnetv2_deit3-s-l-relpos_8xb2-160k_ade20k-512x512.py'
    anchors = Config.fromfile(path).model.backbone.anchors
    assert [a['checkpoint'] for a in anchors] == ['timm:deit3_small_patch16_224.fb_in22k_ft_in1k',
                                                  'timm:deit3_large_patch16_224.fb_in22k_ft_in1k']
    _, model = build_config_model(path, 'mmseg')
    assert all(isinstance(a.model, RelPosVisionTransformer) for a in model.backbone.net.anchors)


def test_published_segmentation_flops_follow_the_id_map():
    """The published per-stitch FLOPs (docs/, by official id) match ours at the mapped index: the map is
    right for all 134 stitches (the identity map would be off by up to 276%)."""
    import json

    from snnet_mm.evaluation.model_flops import model_costs
    _, model = build_config_model(OFFICIAL / 'setr-naive_snnetv2-official_deit3-s-l_ade20k-512x512.py', 'mmseg')
    costs = model_costs(model, 512)  # the whole model (README: FLOPs conventions)
    table = json.loads((CONFIGS.parent / 'docs' / 'published_ade20k_setr-naive_deit3-s-l.json').read_text())
    unread = (32 * 32 + 1) * 384 * 1024  # a small-to-large projection of an output the decode head never reads
    for r in table['stitches']:
        assert r['flops'] - costs[r['index']].flops in (0, unread), r


def test_published_imagenet_flops_follow_the_id_map():
    import json
    pytest.importorskip('mmpretrain')
    _, model = build_config_model(OFFICIAL / 'snnetv2-official_deit3-s-l_in1k.py', 'mmpretrain')
    costs = model.backbone.stitch_costs(224)
    table = json.loads((CONFIGS.parent / 'docs' / 'published_imagenet_deit3-s-l.json').read_text())
    for r in table['stitches']:
        assert costs[r["index"]].flops == r["flops"], r  # exact for all 134 (identity map: up to 297% off)
