"""Every stitch of every tiny task config exports to ONNX and onnxruntime reproduces PyTorch.

One model per config (random weights), one ONNX file per stitch; ``export_checked`` runs
onnxruntime at batch 1 and 2 against the stitched model itself (not only the exported copy).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip('onnxruntime')
pytest.importorskip('mmseg')
pytest.importorskip('mmdet')
pytest.importorskip('mmpretrain')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools_loader import load_tool  # noqa: E402
from upstream import CONFIGS  # noqa: E402

CONFIG = {  # task: (tiny config, outputs per image at its test size; DPT at its anchors' 64x64, see below)
    'classification': ('classification/snnetv2_tiny_imagenet-32px.py', [(5,)]),
    'upernet': ('segmentation/upernet_snnetv2_tiny_ade20k-64x64.py', [(150, 64, 64)]),
    'setr': ('segmentation/setr-naive_snnetv2_tiny_ade20k-64x64.py', [(150, 64, 64)]),
    'dpt': ('depth/dpt_snnetv2_tiny_nyu-64x64.py', [(1, 64, 64)]),
    'mask_rcnn': ('detection/mask-rcnn_snnetv2_tiny_coco-128x128.py', [(32, 32, 32), (32, 16, 16), (32, 8, 8),
                                                                      (32, 4, 4), (32, 2, 2)]),
}
NUM_STITCHES = 4  # tiny anchors of 2 and 4 blocks: 2 anchors, 1 SL, 1 LS


@pytest.fixture(scope='module')
def tool():
    return load_tool('export_stitch')


@pytest.fixture(scope='module')
def models(tool):
    from mmengine.config import Config
    built = {}

    def get(task: str):
        if task not in built:
            cfg = Config.fromfile(CONFIGS / CONFIG[task][0])
            torch.manual_seed(0)
            built[task] = cfg, tool.build_model(cfg).eval()
            assert built[task][1].backbone.num_stitches == NUM_STITCHES
        return built[task]
    return get


@pytest.mark.parametrize('index', range(NUM_STITCHES))
@pytest.mark.parametrize('task', list(CONFIG))
def test_onnxruntime_matches_pytorch(tool, models, task, index, tmp_path):
    from snnet_mm.evaluation.model_flops import default_input_size
    from snnet_mm.onnx_export import TaskGraph, export_checked
    from snnet_mm.onnx_export.exporter import random_images
    from snnet_mm.deploy.runtime import cpu_session

    cfg, model = models(task)
    _, single, _ = tool.single_stitch_model(cfg, model, index)
    model.backbone.set_stitch(index)
    # DPT tests at 64x80, where timm resamples the position embedding (antialiased bicubic: no
    # TorchScript export, so the dynamo exporter runs, 10x slower); that path is tested below.
    size = (64, 64) if task == 'dpt' else default_input_size(cfg)
    check = export_checked(TaskGraph(single).eval(), tmp_path / 'stitch.onnx', input_size=size,
                           reference=TaskGraph(model).eval())
    assert check['parity'] <= 1e-4 and check['opset'] == 18
    outputs = cpu_session(str(tmp_path / 'stitch.onnx')).run(None, {'image': random_images(3, size).numpy()})
    assert [o.shape for o in outputs] == [(3, *shape) for shape in CONFIG[task][1]]  # dynamic batch


def test_dynamic_size_export_runs_at_other_sizes(tool, models, tmp_path):
    """``--dynamic-size`` uses the dynamo exporter: the TorchScript one bakes timm's position
    embedding resampling into the graph at the traced size (and cannot export its antialiased
    bicubic resampling at all)."""
    from snnet_mm.onnx_export import TaskGraph, export_checked
    from snnet_mm.onnx_export.exporter import random_images
    from snnet_mm.deploy.runtime import cpu_session

    cfg, model = models('dpt')
    _, single, _ = tool.single_stitch_model(cfg, model, 2)
    model.backbone.set_stitch(2)
    check = export_checked(TaskGraph(single).eval(), tmp_path / 'stitch.onnx', input_size=(64, 80),
                           dynamic_size=True, reference=TaskGraph(model).eval())
    assert check['parity'] <= 1e-4 and check['exporter'] == 'dynamo'
    assert check['checked_sizes'] == [[64, 80], [96, 144]]
    outputs = cpu_session(str(tmp_path / 'stitch.onnx')).run(None, {'image': random_images(1, (48, 80)).numpy()})
    assert outputs[0].shape == (1, 1, 48, 80)
