"""``DistilledImageClassifier``: mmpretrain's ``ImageClassifier`` plus DeiT knowledge distillation.

A frozen timm teacher runs on the same (already mixed / cut) training inputs as the student, and
the student's logits are pulled towards it, as DeiT's ``DistillationLoss`` (and SN-Net v1's
``StitchDistillationLoss``, ``stitching_deit/losses.py`` of ziplab/SN-Net) does:

- ``'hard'``: cross-entropy with the teacher's arg-max class;
- ``'soft'``: ``KL(softmax(teacher / tau) || softmax(student / tau)) * tau^2``, summed and
  divided by the number of logits (batch x classes), as DeiT does.

The total is ``(1 - alpha) * base + alpha * distillation``, reported as ``loss`` and
``loss_distill``. The student is the classifier's own logits (for SNNetv2, the stitch being
trained), so any classification config can switch it on by changing ``type``. The teacher is
kept outside the module tree: not in checkpoints, not in the optimizer, never in train mode.
Registered in MMEngine's root ``MODELS``, so it resolves from the mmpretrain scope.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from mmengine.registry import MODELS
from mmpretrain.models.classifiers import ImageClassifier
from torch import Tensor, nn

from ..stitching import safe_load
from ..utils.checks import check_number, check_one_of

DISTILLATION_TYPES = ('hard', 'soft')


def build_teacher(teacher: dict) -> nn.Module:
    """A frozen timm model from ``dict(name=..., checkpoint=None, pretrained=True, model_kwargs={})``.

    ``checkpoint``: a ``.pth`` holding a state dict (or ``{'model': ...}`` / ``{'state_dict': ...}``
    as DeiT and MMEngine save them); without one, timm's pretrained weights for ``name`` are
    downloaded (e.g. ``'regnety_160.deit_in1k'``, DeiT's teacher) unless ``pretrained=False``.

    Raises:
        ValueError: On a config without ``name``, unknown keys or a checkpoint that does not fit.
    """
    import timm
    if not isinstance(teacher, dict) or not isinstance(teacher.get('name'), str):
        raise ValueError(f"teacher: expected dict(name='timm model', checkpoint=None, model_kwargs={{}}), "
                         f'got {teacher!r}')
    unknown = set(teacher) - {'name', 'checkpoint', 'pretrained', 'model_kwargs'}
    if unknown:
        raise ValueError(f'teacher: unknown key(s) {sorted(unknown)}; expected name, checkpoint, pretrained, '
                         'model_kwargs')
    checkpoint = teacher.get('checkpoint')
    pretrained = checkpoint is None and bool(teacher.get('pretrained', True))
    model = timm.create_model(teacher['name'], pretrained=pretrained, **teacher.get('model_kwargs', {}))
    if checkpoint is not None:
        state = safe_load.load(checkpoint, field_name='teacher.checkpoint')
        for key in ('model', 'state_dict'):
            if isinstance(state, dict) and isinstance(state.get(key), dict):
                state = state[key]
        try:
            model.load_state_dict(state)
        except RuntimeError as error:
            raise ValueError(f'teacher.checkpoint: {checkpoint} does not fit {teacher["name"]}: {error}') from error
    model.requires_grad_(False)
    return model.eval()


@MODELS.register_module(force=True)  # replaces the lazy entry of models/__init__.py
class DistilledImageClassifier(ImageClassifier):
    """``ImageClassifier`` trained with a frozen teacher's predictions (DeiT distillation).

    Args:
        teacher: ``dict(name=<timm model>, checkpoint=<path or None>, pretrained=True,
            model_kwargs={...})`` (see ``build_teacher``).
        distillation_type: ``'hard'`` (DeiT's and SN-Net v1's choice) or ``'soft'``.
        alpha: Weight of the distillation term; the label loss gets ``1 - alpha``.
        tau: Temperature of the soft distillation.
        **kwargs: ``ImageClassifier`` arguments (backbone, neck, head, train_cfg, ...).

    Raises:
        ValueError: On a bad distillation type, ``alpha`` outside [0, 1] or ``tau`` <= 0.
    """

    def __init__(self, *, teacher: dict, distillation_type: str = 'hard', alpha: float = 0.5,
                 tau: float = 1.0, **kwargs: Any) -> None:
        check_one_of(distillation_type, 'distillation_type', DISTILLATION_TYPES)
        check_number(alpha, 'alpha', low=0, high=1)
        check_number(tau, 'tau', low=0, low_open=True)
        super().__init__(**kwargs)
        self.distillation_type = distillation_type
        self.alpha = float(alpha)
        self.tau = float(tau)
        self._teacher = [build_teacher(teacher)]  # a list: outside the module tree

    @property
    def teacher(self) -> nn.Module:
        return self._teacher[0]

    def loss(self, inputs: Tensor, data_samples: list) -> dict[str, Tensor]:
        """Label loss of the student's logits (weighted ``1 - alpha``) and the distillation term."""
        logits = self.head(self.extract_feat(inputs))
        losses = self.head._get_loss(logits, data_samples)
        teacher = self.teacher.to(inputs.device).eval()
        with torch.no_grad():
            teacher_logits = teacher(inputs).float()
        if teacher_logits.shape != logits.shape:
            raise ValueError(f'teacher: its logits {tuple(teacher_logits.shape)} do not match the student\'s '
                             f'{tuple(logits.shape)} (number of classes)')
        losses['loss'] = losses['loss'] * (1 - self.alpha)
        losses['loss_distill'] = self.alpha * self.distillation_loss(logits, teacher_logits)
        return losses

    def distillation_loss(self, logits: Tensor, teacher_logits: Tensor) -> Tensor:
        """DeiT's hard or soft distillation term (unweighted)."""
        if self.distillation_type == 'hard':
            return F.cross_entropy(logits, teacher_logits.argmax(dim=1))
        t = self.tau
        return F.kl_div(F.log_softmax(logits / t, dim=1), F.log_softmax(teacher_logits / t, dim=1),
                        reduction='sum', log_target=True) * (t * t) / logits.numel()
