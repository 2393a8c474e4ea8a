"""Whole-model FLOPs per stitch equal fvcore's count on the same model, for every shipped config."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip('mmengine')
from fvcore.nn import FlopCountAnalysis  # noqa: E402
from mmengine.config import Config  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from upstream import CONFIGS  # noqa: E402

from snnet_mm.evaluation.model_flops import (_data_samples, build_meta_model, default_input_size,  # noqa: E402
                                             model_costs)

TINY = sorted(p for p in CONFIGS.rglob('*.py') if 'tiny' in p.name and '_base_' not in p.parts)
FULL = sorted(p for p in CONFIGS.rglob('*.py') if 'tiny' not in p.name and '_base_' not in p.parts and p.parent.name != 'quickstart')


def load_config(path: Path, **options) -> Config:
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(options)
    for anchor in cfg.model.backbone.anchors:
        anchor.checkpoint = None
    if 'teacher' in cfg.model:
        cfg.model.teacher.update(checkpoint=None, pretrained=False)
    if 'rpn_head' in cfg.model:
        # fvcore runs the real RPN: without NMS suppression it keeps the full proposal budget
        # (test_cfg.rpn.max_per_img), which is what model_costs counts.
        cfg.model.test_cfg.rpn.nms.iou_threshold = 1.0
    return cfg


def build(cfg: Config) -> torch.nn.Module:
    scope = cfg.default_scope
    importlib.import_module(f'{scope}.utils').register_all_modules()
    torch.manual_seed(0)
    return importlib.import_module(f'{scope}.registry').MODELS.build(cfg.model).eval()


def fvcore_flops(model: torch.nn.Module, hw: tuple[int, int]) -> int:
    samples = _data_samples(model, hw)

    class TensorMode(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model(x, samples, mode='tensor')

    for m in model.modules():
        if hasattr(m, 'fused_attn'):
            m.fused_attn = False  # fvcore does not count fused attention
    analysis = FlopCountAnalysis(TensorMode(), torch.randn(1, 3, *hw))
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings('none')
    return int(analysis.total())


def merge_stitching_layers(model: torch.nn.Module) -> None:
    """Each stitching layer as exported (low-rank update merged): what FLOPs count."""
    layers = model.backbone.net.stitch_layers
    for key in list(layers):
        layers[key] = layers[key].merged()


def check_stitches(model: torch.nn.Module, hw: tuple[int, int], stitches) -> None:
    costs = model_costs(model, hw)
    merge_stitching_layers(model)
    for index in stitches:
        model.backbone.set_stitch(index)
        assert costs[index].flops == fvcore_flops(model, hw), f'stitch {index} ({model.backbone.stitches[index].route})'


@pytest.mark.parametrize('path', TINY, ids=[str(p.relative_to(CONFIGS)) for p in TINY])
def test_every_stitch_of_every_tiny_config_equals_fvcore(path):
    cfg = load_config(path)
    model = build(cfg)
    check_stitches(model, default_input_size(cfg), range(model.backbone.num_stitches))


def test_quickstart_stitches_equal_fvcore():
    cfg = load_config(CONFIGS / 'quickstart' / 'digits_snnetv2.py')
    model = build(cfg)
    flops = [c.flops for c in model_costs(model, (32, 32))]
    lsl = next(i for i, s in enumerate(model.backbone.stitches) if s.kind == 'LSL')
    check_stitches(model, (32, 32), [flops.index(min(flops)), flops.index(max(flops)), lsl])


def test_sn_net_v1_stitches_equal_fvcore():
    cfg = load_config(CONFIGS / 'classification' / 'snnetv2_tiny_imagenet-32px.py', **{'model.backbone.mode': 'v1'})
    model = build(cfg)
    check_stitches(model, (32, 32), range(model.backbone.num_stitches))


def test_model_as_it_runs_adds_only_the_unmerged_low_rank_branches():
    """Convention: stitching layers are counted as exported (low-rank update merged); fvcore on the
    unmerged model counts ``tokens x r x (in + out)`` more per stitching layer call, nothing else."""
    cfg = load_config(CONFIGS / 'segmentation' / 'upernet_snnetv2_tiny_ade20k-64x64.py')
    model = build(cfg)
    costs = model_costs(model, (64, 64))
    index = next(i for i, s in enumerate(model.backbone.stitches) if s.layers)
    model.backbone.set_stitch(index)
    low_rank = []

    def record(layer, args, out):
        low_rank.append(args[0].numel() // layer.in_features * layer.rank * (layer.in_features + layer.out_features))

    hooks = [layer.register_forward_hook(record) for layer in model.backbone.net.stitch_layers.values()]
    with torch.no_grad():
        model(torch.randn(1, 3, 64, 64), mode='tensor')
    for hook in hooks:
        hook.remove()
    assert model.backbone.net.stitch_layers[model.backbone.stitches[index].layers[0]].rank == 4
    assert len(low_rank) >= 2 and fvcore_flops(model, (64, 64)) == costs[index].flops + sum(low_rank)


def test_params_count_what_tensor_mode_runs():
    cfg = load_config(CONFIGS / 'segmentation' / 'upernet_snnetv2_tiny_ade20k-64x64.py')
    model = build(cfg)
    costs = model_costs(model, (64, 64))
    backbone = model.backbone.stitch_costs((64, 64))
    rest = sum(p.numel() for p in model.parameters()) - sum(p.numel() for p in model.backbone.parameters())
    rest -= sum(p.numel() for p in model.auxiliary_head.parameters())  # not run at test time
    assert all(c.params - b.params == rest for c, b in zip(costs, backbone))
    assert [c.backbone_flops for c in costs] == [b.flops for b in backbone]  # UperNet reads every output


def test_dense_outputs_no_head_reads_are_not_counted():
    cfg = load_config(CONFIGS / 'segmentation' / 'setr-naive_snnetv2_tiny_ade20k-64x64.py')
    model = build(cfg)
    costs = model_costs(model, (64, 64))
    all_outputs = model.backbone.stitch_costs((64, 64))
    small = model.backbone.net.anchor_stitch(0)
    # SETR's decode head reads the last map only; the small anchor's other projections are dead code.
    assert costs[small].backbone_flops < all_outputs[small].flops


def test_meta_model_and_default_input_sizes():
    sizes = {str(p.relative_to(CONFIGS)): default_input_size(Config.fromfile(p))
             for p in FULL if p.parent.name != 'official'}
    assert sizes.items() >= {
        'depth/dpt_snnetv2_deit3-s-l_8xb2-24e_nyu-416x544.py': (480, 640),
        'detection/mask-rcnn_snnetv2_deit3-s-l_sfp_16xb4-lsj-100e_coco-1024x1024.py': (1024, 1024),
        'segmentation/setr-naive_snnetv2_deit3-s-l_8xb2-160k_ade20k-512x512.py': (512, 512),
        'segmentation/setr-naive_snnetv2_deit3-s-l_8xb2-80k_coco-stuff10k-512x512.py': (512, 512),
        'segmentation/upernet_snnetv2_deit3-s-l_8xb2-160k_ade20k-512x512.py': (512, 512),
        'classification/snnet-v1_deit-ti-s-b_8xb128_in1k.py': (224, 224),
        'classification/snnetv2_deit3-s-l_8xb64_in1k.py': (224, 224),
        'families/classification/snnet-v1_r18-r50_8xb128-30e_in1k.py': (224, 224),
        'families/segmentation/upernet_snnet-v1_swin-t-s_8xb2-160k_ade20k-512x512.py': (512, 512),
        # keep-ratio resize to (1333, 800), padded to 32
        'families/detection/mask-rcnn_snnet-v1_swin-t-s_fpn_1x_coco.py': (800, 1344)}.items()
    model = build_meta_model(Config.fromfile(CONFIGS / 'depth' / 'dpt_snnetv2_tiny_nyu-64x64.py'))
    assert all(p.device.type == 'meta' for p in model.parameters())


def test_distilled_classifier_is_counted_without_its_teacher():
    """The teacher is neither loaded (no download) nor counted: it runs in the loss only."""
    model = build_meta_model(Config.fromfile(CONFIGS / 'classification' / 'snnet-v1_deit-ti-s-b_8xb128_in1k.py'))
    assert sum(p.numel() for p in model.teacher.parameters()) > 0
    costs = model_costs(model, 224)
    backbone = model.backbone.stitch_costs(224)
    assert [(c.flops, c.params) for c in costs] == [(b.flops, b.params) for b in backbone]


@pytest.mark.parametrize('bad', [0, (64,), (64, -1), '64', None])
def test_bad_input_size_names_the_field(bad):
    model = build_meta_model(Config.fromfile(CONFIGS / 'classification' / 'snnetv2_tiny_imagenet-32px.py'))
    with pytest.raises(ValueError, match='input_size'):
        model_costs(model, bad)


def ade20k_sibling(path: Path) -> Path | None:
    """The ADE20K config of the same method and anchors as a COCO-Stuff config."""
    if 'coco-stuff10k' not in path.name:
        return None
    name = path.name.replace('coco-stuff10k', 'ade20k').replace('-80k_', '-160k_')  # its schedule too
    return next((q for q in FULL if q.parent == path.parent and q.name == name), None)


# The COCO-Stuff configs are their ADE20K siblings with 171 classes (test below); counting them
# with fvcore again would cost four minutes of the suite.
FVCORE = [p for p in FULL if ade20k_sibling(p) is None]


def _leaves(node, prefix: str = ''):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f'{prefix}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _leaves(value, f'{prefix}[{i}]')
    else:
        yield prefix, node


@pytest.mark.parametrize('path', sorted(set(FULL) - set(FVCORE)), ids=lambda p: str(p.relative_to(CONFIGS)))
def test_coco_stuff_models_differ_from_their_ade20k_siblings_in_classes_only(path):
    mine, theirs = (dict(_leaves(Config.fromfile(p).model.to_dict())) for p in (path, ade20k_sibling(path)))
    differing = {k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k)}
    assert differing and all(k.endswith('.num_classes') for k in differing), differing


@pytest.mark.slow
@pytest.mark.parametrize('path', FVCORE, ids=[str(p.relative_to(CONFIGS)) for p in FVCORE])
def test_full_size_configs_equal_fvcore_on_three_stitches(path):
    """Cheapest, most expensive and one LSL stitch, at a reduced input size (the rules do not
    depend on it; benchmarks/bench_flops.py checks the configs' own sizes)."""
    cfg = load_config(path)
    relpos = any('relpos' in anchor.name for anchor in cfg.model.backbone.anchors)
    if relpos:
        for anchor in cfg.model.backbone.anchors:  # relative positions are built for the image size:
            anchor.img_size = 128                  # anchors built for the reduced one
    model = build(cfg)
    if cfg.model.backbone.get('out_indices') is None:
        hw = default_input_size(cfg)  # classifiers: their (anchors') image size
    else:
        hw = (128, 128) if 'rpn_head' in cfg.model or relpos else (64, 64)
    flops = [c.flops for c in model_costs(model, hw)]
    lsl = next((i for i, s in enumerate(model.backbone.stitches) if s.kind == 'LSL'), 1)
    check_stitches(model, hw, [flops.index(min(flops)), flops.index(max(flops)), lsl])
