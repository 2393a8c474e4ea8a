"""DPTDepthHead: shapes, range, input checks, loss masking and the DepthEstimator/DepthMetric format."""
from __future__ import annotations

import pytest
import torch

pytest.importorskip('mmseg')
from conftest import tiny_anchor  # noqa: E402
from mmengine.config import ConfigDict  # noqa: E402
from mmengine.registry import MODELS  # noqa: E402
from mmengine.structures import PixelData  # noqa: E402

import snnet_mm  # noqa: E402,F401
from snnet_mm.models import DPTDepthHead  # noqa: E402

WIDTH = 64
MIN_DEPTH, MAX_DEPTH = 1e-3, 10.0


def backbone_cfg(**kwargs) -> dict:
    cfg = dict(type='SNNetv2', anchors=[tiny_anchor(2, 32), tiny_anchor(4, WIDTH)], out_indices=(0, 1, 2, 3),
               with_cls_token=True)
    cfg.update(kwargs)
    return cfg


def head_cfg(**kwargs) -> dict:
    cfg = dict(type='DPTDepthHead', in_channels=WIDTH, channels=16, post_process_channels=(8, 16, 32, 32),
               head_channels=8, min_depth=MIN_DEPTH, max_depth=MAX_DEPTH)
    cfg.update(kwargs)
    return cfg


def levels(batch: int = 2, grid: tuple[int, int] = (4, 5), width: int = WIDTH, num: int = 4, token: bool = True):
    maps = [torch.randn(batch, width, *grid) for _ in range(num)]
    return [(m, torch.randn(batch, width)) for m in maps] if token else maps


@pytest.fixture(scope='module')
def backbone():
    return MODELS.build(backbone_cfg())


def test_type_resolves_in_the_mmseg_scope():
    from mmseg.registry import MODELS as MMSEG_MODELS
    assert isinstance(MMSEG_MODELS.build(head_cfg()), DPTDepthHead)
    assert isinstance(MODELS.build(head_cfg()), DPTDepthHead)


@pytest.mark.parametrize('size', [(64, 64), (64, 80), (48, 112), (96, 32), (32, 160)])
def test_output_matches_the_input_size_for_every_stitch(backbone, size):
    head = MODELS.build(head_cfg()).eval()
    image = torch.randn(2, 3, *size)
    for stitch in range(backbone.num_stitches):
        backbone.set_stitch(stitch)
        with torch.no_grad():
            depth = head(backbone(image))
        assert depth.shape == (2, 1, *size)
        assert MIN_DEPTH <= depth.min()  # relu + min_depth: bounded below (clamped above at prediction)


def test_zero_logits_give_min_depth():
    """The toolbox DPT head SN-Netv2 trained ends in relu(x) + min_depth (a sigmoid squash
    into [min, max] would give the middle of the range)."""
    head = MODELS.build(head_cfg())
    with torch.no_grad():
        head.depth_pred.weight.zero_()
        head.depth_pred.bias.zero_()
        assert torch.equal(head(levels()), torch.full_like(head(levels()), MIN_DEPTH))
        head.depth_pred.bias.fill_(-3.0)  # negative logits: still min_depth
        assert head(levels()).max().item() == pytest.approx(MIN_DEPTH)
        head.depth_pred.bias.fill_(2.0)   # linear above: 2 m + min_depth
        assert head(levels()).min().item() == pytest.approx(2.0 + MIN_DEPTH)


@pytest.mark.parametrize('size', [(70, 50), (33, 81)])
def test_sizes_off_the_patch_grid_are_cropped_back_to_the_input(backbone, size):
    """timm pads inputs to the patch size at the bottom/right; predictions drop that padding."""
    head = MODELS.build(head_cfg()).eval()
    with torch.no_grad():
        feats = backbone(torch.randn(1, 3, *size))
        raw = head(feats)
        depth = head.predict(feats, [dict(img_shape=size, pad_shape=size)], {})
    assert raw.shape[2:] == tuple(16 * -(-s // 16) for s in size)
    assert depth.shape == (1, 1, *size)
    torch.testing.assert_close(depth, raw[:, :, :size[0], :size[1]])


@pytest.mark.parametrize('readout', ['project', 'add', 'ignore'])
def test_readouts_and_gradients_reach_every_level(readout):
    head = MODELS.build(head_cfg(readout_type=readout))
    with torch.no_grad():
        head.depth_pred.bias.fill_(10.0)  # keep the output relu in its linear part
    inputs = levels()
    for m, t in inputs:
        m.requires_grad_(True)
        t.requires_grad_(True)
    head(inputs).mean().backward()
    assert all(m.grad.abs().sum() > 0 for m, _ in inputs)
    token_grads = [t.grad is not None and t.grad.abs().sum() > 0 for _, t in inputs]
    assert all(token_grads) if readout != 'ignore' else not any(token_grads)


def test_ignore_readout_accepts_plain_maps():
    head = MODELS.build(head_cfg(readout_type='ignore'))
    assert head(levels(token=False)).shape == (2, 1, 64, 80)


@pytest.mark.parametrize('num', [3, 5])
def test_wrong_number_of_levels_is_a_clear_error(num):
    head = MODELS.build(head_cfg())
    with pytest.raises(ValueError, match=f'inputs: expected 4 feature levels .*got {num} levels'):
        head(levels(num=num))


def test_wrong_channels_is_a_clear_error():
    head = MODELS.build(head_cfg())
    with pytest.raises(ValueError, match=r'inputs\[0\]: expected 64 channels \(in_channels\), got 32'):
        head(levels(width=32))
    bad = levels()
    bad[2] = (bad[2][0], torch.randn(2, 32))
    with pytest.raises(ValueError, match=r'inputs\[2\]: expected a class token of shape \(2, 64\), got \(2, 32\)'):
        head(bad)


def test_project_readout_without_class_tokens_says_how_to_fix():
    head = MODELS.build(head_cfg())
    with pytest.raises(ValueError, match=r"inputs\[0\]: readout_type='project' needs .*with_cls_token=True"):
        head(levels(token=False))


@pytest.mark.parametrize('field, value, message', [
    ('min_depth', 0.0, 'min_depth: expected a finite number > 0, got 0.0'),
    ('min_depth', float('nan'), 'min_depth: expected a finite number > 0, got nan'),
    ('max_depth', 1e-3, r'max_depth: expected a finite number > min_depth \(0.001\), got 0.001'),
    ('max_depth', float('inf'), r'max_depth: expected a finite number > min_depth \(0.001\), got inf'),
    ('readout_type', 'cls', "readout_type: expected one of .*got 'cls'"),
    ('activation', 'exp', "activation: expected one of .*got 'exp'"),
    ('in_channels', (64, 64, 32, 64), r'in_channels: expected an int or 4 equal ints .*got \(64, 64, 32, 64\)'),
    ('in_channels', 0, 'in_channels: expected an int >= 1, got 0'),
    ('post_process_channels', (8, 16, 32), r'post_process_channels: expected 4 ints, got \(8, 16, 32\)'),
    ('channels', 1, 'channels: expected an int >= 2, got 1'),
    ('loss_decode', 'SiLogLoss', "loss_decode: expected a loss config dict or a list of them, got 'SiLogLoss'"),
])
def test_bad_arguments_name_the_field_and_value(field, value, message):
    with pytest.raises(ValueError, match=message):
        MODELS.build(head_cfg(**{field: value}))


def sample(depth: torch.Tensor, **meta):
    from mmseg.structures import SegDataSample
    s = SegDataSample(metainfo=meta)
    s.gt_depth_map = PixelData(data=depth)
    return s


def test_sig_loss_ignores_pixels_without_depth():
    head = MODELS.build(head_cfg(loss_decode=dict(type='SigLoss')))
    gt = torch.full((1, 64, 80), 2.0)
    gt[:, :, :10] = 0.0        # no measurement
    gt[:, :5] = 50.0           # beyond max_depth
    pred = torch.full((1, 1, 64, 80), 2.0)
    pred[..., :10] = 7.0       # wrong only where the target is invalid
    pred[:, :, :5] = 3.0
    losses = head.loss_by_feat(pred, [sample(gt)])
    assert set(losses) == {'loss_sig'}
    assert losses['loss_sig'].item() == pytest.approx(0.0, abs=1e-3)
    pred[..., 40:, 20:] = 4.0  # now wrong on valid pixels too
    assert head.loss_by_feat(pred, [sample(gt)])['loss_sig'].item() > 0.1


def test_relu_activation_is_clamped_at_prediction():
    head = MODELS.build(head_cfg(activation='relu'))
    with torch.no_grad():
        head.depth_pred.bias.fill_(100.0)
        raw = head(levels(batch=1))
        depth = head.predict(levels(batch=1), [dict(img_shape=(64, 80), pad_shape=(64, 80))], {})
    assert raw.max() > MAX_DEPTH
    assert depth.max() == MAX_DEPTH and depth.min() >= MIN_DEPTH


def test_depth_estimator_predictions_feed_depth_metric(backbone):
    """The format DepthEstimator.postprocess_result and DepthMetric expect: pred_depth_map at ori_shape."""
    from mmseg.evaluation import DepthMetric
    from mmseg.registry import MODELS as MMSEG_MODELS
    from mmseg.utils import register_all_modules
    register_all_modules()
    model = MMSEG_MODELS.build(dict(
        type='DepthEstimator',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[127.5] * 3, std=[127.5] * 3, seg_pad_val=0),
        backbone=backbone_cfg(), decode_head=head_cfg(), test_cfg=ConfigDict(mode='whole'))).eval()
    gt = torch.rand(1, 64, 80) * 5 + 0.5
    batch = dict(inputs=[torch.randint(0, 255, (3, 64, 80), dtype=torch.uint8)],
                 data_samples=[sample(gt, img_shape=(64, 80), ori_shape=(64, 80), pad_shape=(64, 80))])
    with torch.no_grad():
        outputs = model.test_step(batch)
    pred = outputs[0].pred_depth_map.data
    assert pred.shape == (1, 64, 80)
    assert MIN_DEPTH <= pred.min() and pred.max() <= MAX_DEPTH
    metric = DepthMetric(min_depth_eval=MIN_DEPTH, max_depth_eval=MAX_DEPTH)
    metric.process(batch, [o.to_dict() for o in outputs])
    values = metric.compute_metrics(metric.results)
    assert {'d1', 'abs_rel', 'rmse'} <= set(values) and values['rmse'] > 0
    # The sweep's FLOPs count runs the model in 'tensor' mode: the head's raw depth map.
    with torch.no_grad():
        assert model._forward(torch.randn(1, 3, 64, 80)).shape == (1, 1, 64, 80)


def test_snnet_mm_imports_without_mmseg():
    """The head is imported only when mmseg is installed (find_spec hides it here)."""
    import subprocess
    import sys
    code = ('import importlib.util, sys\n'
            'real = importlib.util.find_spec\n'
            "importlib.util.find_spec = lambda name, *a: None if name == 'mmseg' else real(name, *a)\n"
            'import snnet_mm, snnet_mm.models\n'
            "assert 'DPTDepthHead' not in snnet_mm.models.__all__ and 'mmseg' not in sys.modules\n")
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
