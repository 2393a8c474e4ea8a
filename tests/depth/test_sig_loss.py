"""SigLoss: the Depth-Estimation-Toolbox loss SN-Netv2's depth runs used, pooled over the batch."""
from __future__ import annotations

import math

import pytest
import torch

pytest.importorskip('mmseg')
from mmseg.registry import MODELS  # noqa: E402

import snnet_mm  # noqa: E402,F401


def toolbox_sigloss(pred: torch.Tensor, target: torch.Tensor) -> float:
    """The official formula, written out: sqrt(var(g) + 0.15 mean(g)^2) over valid pixels."""
    valid = target > 0
    g = torch.log(pred[valid].double()) - torch.log(target[valid].double())
    n = g.numel()
    var = ((g - g.mean()) ** 2).sum() / (n - 1)
    return math.sqrt(var + 0.15 * g.mean() ** 2)


def test_pools_every_valid_pixel_of_the_batch_not_per_image():
    torch.manual_seed(0)
    target = torch.rand(2, 1, 8, 8) * 5 + 0.5
    target[0, :, :3] = 0.0  # no depth there
    pred = target.clone()
    pred[0] *= 2.0  # image 0: off by a constant factor (scale-invariant per image), image 1 exact
    loss = MODELS.build(dict(type='SigLoss'))
    value = loss(pred, target).item()
    assert value == pytest.approx(toolbox_sigloss(pred, target), rel=1e-5)
    # Per image the error is a pure scale: mmseg's SiLogLoss (lambda 0.5, per image) differs.
    silog = MODELS.build(dict(type='SiLogLoss'))(pred, target).item()
    assert abs(value - silog) > 0.05
    assert value > 0.2  # across the batch the scales disagree: var(g) > 0


def test_warm_up_fits_only_the_scale_for_warm_iter_training_calls():
    target = torch.full((1, 1, 4, 4), 2.0)
    pred = target.clone()
    pred[..., :2] = 4.0
    loss = MODELS.build(dict(type='SigLoss', warm_up=True, warm_iter=2)).train()
    g = torch.log(pred + 0.1) - torch.log(target + 0.1)
    warm = math.sqrt(0.15) * g.mean().abs().item()
    assert loss(pred, target).item() == pytest.approx(warm, rel=1e-5)
    assert loss(pred, target).item() == pytest.approx(warm, rel=1e-5)
    assert loss(pred, target).item() == pytest.approx(toolbox_sigloss(pred, target), rel=1e-5)
    assert int(loss.state_dict()['warm_up_counter']) == 2  # saved: a resumed run does not warm up again


def test_no_valid_pixel_gives_a_zero_loss_with_a_gradient():
    pred = torch.rand(1, 1, 4, 4, requires_grad=True)
    value = MODELS.build(dict(type='SigLoss'))(pred, torch.zeros(1, 1, 4, 4))
    value.backward()
    assert value.item() == 0.0 and torch.equal(pred.grad, torch.zeros_like(pred))


@pytest.mark.parametrize('field, value, message', [
    ('loss_weight', -1.0, 'loss_weight: expected a number >= 0, got -1.0'),
    ('max_depth', 0, 'max_depth: expected a number > 0 or None, got 0'),
    ('warm_iter', -5, 'warm_iter: expected an int >= 0, got -5'),
    ('loss_name', 'sig', "loss_name: expected a str starting with 'loss', got 'sig'"),
])
def test_bad_arguments_name_the_field(field, value, message):
    with pytest.raises(ValueError, match=message):
        MODELS.build({'type': 'SigLoss', field: value})
