"""The SNNetv2 backbone as OpenMMLab builds and uses it."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

pytest.importorskip('mmengine')
import timm  # noqa: E402
from conftest import tiny_anchor  # noqa: E402
from mmengine.registry import MODELS  # noqa: E402

import snnet_mm  # noqa: E402,F401
from snnet_mm import SNNetv2  # noqa: E402

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'


def tiny_backbone_cfg(**kwargs) -> dict:
    cfg = dict(type='SNNetv2', anchors=[tiny_anchor(2, 32), tiny_anchor(4, 64)], out_indices=(1, 2, 3))
    cfg.update(kwargs)
    return cfg


@pytest.mark.parametrize('scope', ['mmengine', 'mmseg', 'mmdet', 'mmpretrain'])
def test_unscoped_type_builds_in_every_scope(scope):
    if scope == 'mmengine':
        registry = MODELS
    else:
        registry = pytest.importorskip(f'{scope}.registry').MODELS
    backbone = registry.build(tiny_backbone_cfg())
    assert isinstance(backbone, SNNetv2)


def test_default_stitch_is_the_large_anchor_and_stitch_field_selects():
    backbone = MODELS.build(tiny_backbone_cfg())
    assert backbone.stitches[backbone.current_stitch].route == 'L[0:4]'
    backbone = MODELS.build(tiny_backbone_cfg(stitch=2))
    assert backbone.current_stitch == 2 == backbone.default_stitch


@pytest.mark.parametrize('bad', [-1, 99, 1.5, True])
def test_bad_stitch_names_the_field(bad):
    with pytest.raises(ValueError, match=r'stitch: (stitch index|expected a stitch index)'):
        MODELS.build(tiny_backbone_cfg(stitch=bad))


def test_stitch_by_route_and_budget_is_logged_with_route_and_gflops(capsys):
    from mmengine.logging import MMLogger
    MMLogger.get_instance('test_stitch_choice')
    reference = MODELS.build(tiny_backbone_cfg())
    route = reference.stitches[3].route
    assert MODELS.build(tiny_backbone_cfg(stitch=route.replace(' ', ''))).default_stitch == 3
    gflops = [c.gflops for c in reference.stitch_costs(32)]
    budget = sorted(gflops)[len(gflops) // 2]
    chosen = MODELS.build(tiny_backbone_cfg(stitch=dict(max_gflops=budget)))
    assert gflops[chosen.default_stitch] == max(g for g in gflops if g <= budget)
    logged = capsys.readouterr().out
    assert f"-> stitch 3: {route}, {gflops[3]:.3f} backbone GFLOPs at 32x32" in logged
    with pytest.raises(ValueError, match=r'stitch\.max_gflops: budget 1e-09 GFLOPs is below the cheapest stitch '):
        MODELS.build(tiny_backbone_cfg(stitch=dict(max_gflops=1e-9)))


def test_budget_with_results_picks_the_most_accurate_swept_stitch(tmp_path):
    import json
    backbone = MODELS.build(tiny_backbone_cfg())
    records = [dict(index=i, route=s.route, flops=(i + 1) * 1e9, params=1, mIoU=float(10 - abs(i - 2)))
               for i, s in enumerate(backbone.stitches)]
    (tmp_path / 'stitches.json').write_text(json.dumps(dict(stitches=records)))
    results = str(tmp_path / 'stitches.json')
    assert MODELS.build(tiny_backbone_cfg(stitch=dict(max_gflops=10, results=results))).default_stitch == 2
    assert MODELS.build(tiny_backbone_cfg(stitch=dict(max_gflops=2.5, results=results))).default_stitch == 1
    with pytest.raises(ValueError, match=r'stitch\.max_gflops: budget 0\.5 is below the cheapest stitch'):
        MODELS.build(tiny_backbone_cfg(stitch=dict(max_gflops=0.5, results=results)))
    with pytest.raises(ValueError, match=r"stitch\.results: no such file '.*absent\.json'"):
        MODELS.build(tiny_backbone_cfg(stitch=dict(max_gflops=1, results=str(tmp_path / 'absent.json'))))


@pytest.mark.parametrize('option, expected', [('3', 3), ('L[0:4]', None), ('S[0:1]->L[2:4]', None)])
def test_stitch_choice_from_cfg_options(option, expected):
    from mmengine.config import Config, DictAction
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(['--cfg-options', f'model.backbone.stitch={option}'])
    cfg = Config(dict(model=dict(backbone=tiny_backbone_cfg())))
    cfg.merge_from_dict(args.cfg_options)
    backbone = MODELS.build(cfg.model.backbone)
    route = backbone.stitches[backbone.default_stitch].route
    assert backbone.default_stitch == expected if expected is not None else route.replace(' ', '') == option


def test_budget_from_cfg_options():
    from mmengine.config import Config
    cfg = Config(dict(model=dict(backbone=tiny_backbone_cfg())))
    cfg.merge_from_dict({'model.backbone.stitch.max_gflops': 1000.0})
    backbone = MODELS.build(cfg.model.backbone)
    assert backbone.stitches[backbone.default_stitch].route == 'L[0:4]'


def test_dense_outputs_are_a_tuple_of_large_width_maps():
    backbone = MODELS.build(tiny_backbone_cfg())
    for i in range(backbone.num_stitches):
        backbone.set_stitch(i)
        feats = backbone(torch.randn(2, 3, 48, 64))
        assert isinstance(feats, tuple)
        assert [tuple(f.shape) for f in feats] == [(2, 64, 3, 4)] * 3


def test_classification_mode_returns_logits_tuple():
    backbone = MODELS.build(tiny_backbone_cfg(out_indices=None))
    (logits,) = backbone(torch.randn(2, 3, 32, 32))
    assert logits.shape == (2, 10)


def _saved_small(path) -> dict:
    import timm
    plain = timm.create_model('vit_tiny_patch16_224', embed_dim=32, depth=2, num_heads=2, img_size=32,
                              num_classes=10)
    torch.save(plain.state_dict(), path)
    return plain.state_dict()


def _served(root):
    """Base URL of an HTTP server on 127.0.0.1 serving ``root`` (stopped with the returned callable)."""
    import functools
    import http.server
    import threading
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f'http://127.0.0.1:{server.server_address[1]}', server.shutdown


def test_anchor_checkpoints_load_in_init_weights_not_at_construction(tmp_path):
    state = _saved_small(tmp_path / 'small.pth')
    small = dict(tiny_anchor(2, 32), checkpoint=str(tmp_path / 'small.pth'))
    backbone = MODELS.build(tiny_backbone_cfg(anchors=[small, tiny_anchor(4, 64)]))
    key = 'blocks.0.attn.qkv.weight'
    assert not torch.equal(backbone.net.anchors[0].model.state_dict()[key], state[key])
    backbone.init_weights()
    for key, value in state.items():
        torch.testing.assert_close(backbone.net.anchors[0].model.state_dict()[key], value)


def test_missing_anchor_files_do_not_stop_building_a_model_to_test(tmp_path):
    anchors = [dict(tiny_anchor(2, 32), checkpoint=str(tmp_path / 'moved.pth')),
               dict(tiny_anchor(4, 64), checkpoint='https://127.0.0.1:9/unreachable.pth')]
    backbone = MODELS.build(tiny_backbone_cfg(anchors=anchors))
    assert backbone.num_stitches > 0
    with pytest.raises(ValueError, match=r"anchors\[0\]\.checkpoint: no such file '.*moved\.pth'"):
        backbone.init_weights()


def test_uri_anchor_goes_through_mmengine_checkpoint_loader(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    state = _saved_small(tmp_path / 'served_small.pth')
    base, stop = _served(tmp_path)
    try:
        small = dict(tiny_anchor(2, 32), checkpoint=f'{base}/served_small.pth')
        backbone = MODELS.build(tiny_backbone_cfg(anchors=[small, tiny_anchor(4, 64)]))
        backbone.init_weights()
    finally:
        stop()
    for key, value in state.items():
        torch.testing.assert_close(backbone.net.anchors[0].model.state_dict()[key], value)


def test_mmengine_url_loading_stays_weights_only(tmp_path, monkeypatch):
    import functools
    import pickle
    from mmengine.runner.checkpoint import CheckpointLoader
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    (tmp_path / 'crafted.pth').write_bytes(pickle.dumps(functools.partial(print, 'ran'), protocol=2))
    base, stop = _served(tmp_path)
    try:
        with pytest.raises(pickle.UnpicklingError, match='functools.partial'):
            CheckpointLoader.load_checkpoint(f'{base}/crafted.pth', map_location='cpu')
    finally:
        stop()


def test_pretrained_init_cfg_round_trips_a_trained_backbone(tmp_path):
    trained = MODELS.build(tiny_backbone_cfg(lora_rank=2))
    trained.init_stitching_layers(torch.randn(4, 3, 32, 32))
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(0.01 * torch.randn_like(p))
    path = tmp_path / 'trained.pth'
    torch.save({'state_dict': trained.state_dict()}, path)

    loaded = MODELS.build(tiny_backbone_cfg(lora_rank=2, init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    assert not loaded.stitching_initialised
    loaded.init_weights()
    assert loaded.stitching_initialised
    for key, value in trained.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value)
    x = torch.randn(1, 3, 32, 32)
    trained.eval(), loaded.eval()
    for i in range(trained.num_stitches):
        trained.set_stitch(i), loaded.set_stitch(i)
        torch.testing.assert_close(loaded(x), trained(x))


def test_export_from_backbone_matches():
    backbone = MODELS.build(tiny_backbone_cfg()).eval()
    x = torch.randn(1, 3, 32, 32)
    backbone.set_stitch(3)
    exported = backbone.export_stitch(3).eval()
    for a, b in zip(backbone(x), exported(x)):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize('config', sorted(str(p.relative_to(CONFIGS)) for p in CONFIGS.rglob('*.py')
                                          if 'tiny' not in p.name and '_base_' not in p.parts
                                          and p.parent.name not in ('quickstart', 'official')))
def test_full_size_configs_name_timm_tags_of_the_published_anchor_weights(config):
    from mmengine.config import Config

    from snnet_mm.stitching.checkpoint import _timm_pretrained_cfg
    anchors = Config.fromfile(CONFIGS / config).model.backbone.anchors
    for i, anchor in enumerate(anchors):
        assert anchor.checkpoint.startswith('timm:'), (config, anchor)
        with torch.device('meta'):
            model = timm.create_model(anchor.name)
        cfg = _timm_pretrained_cfg(model, anchor.checkpoint, f'anchors[{i}].checkpoint', None)
        if anchor.name.startswith('deit3'):  # DeiT-3 pretrained on ImageNet-21k, as SN-Netv2 used
            assert cfg['url'].endswith('_224_21k.pth'), cfg['url']
