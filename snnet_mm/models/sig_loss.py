"""``SigLoss``: the scale-invariant log loss as SN-Netv2's depth runs computed it.

The Depth-Estimation-Toolbox ``SigLoss`` (``depth/models/losses/sigloss.py`` of
zhyever/Monocular-Depth-Estimation-Toolbox, used with ``warm_up=True`` by SN-Netv2's
``depth_estimation/configs/snnet/snnetv2_dpt_deit3_s_l_nyu.py``) pools the valid pixels of the
whole batch and returns ``sqrt(var(g) + 0.15 * mean(g)^2)`` with ``g = log(pred) - log(gt)``
(unbiased variance). mmseg's ``SiLogLoss`` differs: per image, ``var`` replaced by
``mean(g^2) - 0.5 * mean(g)^2``, averaged over the batch. During the first ``warm_iter`` calls
the toolbox loss is ``sqrt(0.15) * |mean(log(pred + 0.1) - log(gt + 0.1))|``, which only fits
the global scale while the randomly initialised head still predicts near ``min_depth``.
"""
from __future__ import annotations

import torch
from mmengine.registry import MODELS
from torch import Tensor, nn

from ..utils.checks import check_int, check_number

VARIANCE_FOCUS = 0.15  # the toolbox's weight of the squared mean (lambda = 1 - 0.15 in var-form)
WARM_UP_EPS = 0.1      # the toolbox's offset inside the logs during warm-up


@MODELS.register_module()
class SigLoss(nn.Module):
    """``sqrt(var(g) + 0.15 * mean(g)^2)`` over every valid pixel of the batch.

    Args:
        loss_weight: Multiplier of the loss.
        max_depth: Targets above it are ignored too (targets <= 0 always are); ``None``: no limit.
        warm_up: Use the scale-only warm-up loss for the first ``warm_iter`` calls.
        warm_iter: Length of the warm-up, in calls (training iterations).
        loss_name: Key of the loss in the head's loss dict (mmseg sums keys starting with ``loss``).

    Raises:
        ValueError: On a negative weight, a non-positive ``max_depth`` or ``warm_iter`` < 0.
    """

    def __init__(self, *, loss_weight: float = 1.0, max_depth: float | None = None, warm_up: bool = False,
                 warm_iter: int = 100, loss_name: str = 'loss_sig') -> None:
        super().__init__()
        check_number(loss_weight, 'loss_weight', low=0)
        check_number(max_depth, 'max_depth', low=0, low_open=True, allow_none=True)
        check_int(warm_iter, 'warm_iter', minimum=0)
        if not isinstance(loss_name, str) or not loss_name.startswith('loss'):
            raise ValueError(f"loss_name: expected a str starting with 'loss', got {loss_name!r}")
        self.loss_weight = float(loss_weight)
        self.max_depth = max_depth
        self.warm_up = bool(warm_up)
        self.warm_iter = warm_iter
        self._loss_name = loss_name
        # A buffer, so that a resumed run does not repeat the warm-up.
        self.register_buffer('warm_up_counter', torch.tensor(0, dtype=torch.long))

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        """Loss between predicted and target depth maps of the same shape (0 = no depth)."""
        if pred.shape != target.shape:
            raise ValueError(f'pred: expected the target shape {tuple(target.shape)}, got {tuple(pred.shape)}')
        valid = target > 0
        if self.max_depth is not None:
            valid &= target <= self.max_depth
        if not bool(valid.any()):  # no measured pixel in the batch: no signal (the toolbox gives NaN)
            return pred.sum() * 0.0
        pred, target = pred[valid], target[valid]
        if self.warm_up and int(self.warm_up_counter) < self.warm_iter:
            if self.training:
                self.warm_up_counter += 1
            g = torch.log(pred + WARM_UP_EPS) - torch.log(target + WARM_UP_EPS)
            return self.loss_weight * torch.sqrt(VARIANCE_FOCUS * g.mean() ** 2)
        g = torch.log(pred) - torch.log(target)
        variance = torch.var(g) if g.numel() > 1 else g.new_zeros(())
        return self.loss_weight * torch.sqrt(variance + VARIANCE_FOCUS * g.mean() ** 2)

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}, max_depth={self.max_depth}, warm_up={self.warm_up}'
