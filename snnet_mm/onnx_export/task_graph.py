"""A built OpenMMLab model as the graph ONNX holds: RGB images in, the task's tensors out.

The data preprocessor's normalisation (and its channel order) is part of the graph, so a
deployment feeds float32 RGB images in 0..255, NCHW, and needs no per-model constants:

- mmpretrain classifiers: ``logits`` (N, classes), the head's scores before softmax;
- mmseg segmentors: ``seg_logits`` (N, classes, H, W), resized to the input size as mmseg's
  whole-image inference does;
- mmseg depth estimators: ``depth`` (N, 1, H, W) at the input size;
- mmdet detectors: the backbone and neck only (``feat0`` ...): RoI operations (proposal NMS,
  RoIAlign) do not export without MMDeploy's rewrites.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

TASKS = ('classification', 'segmentation', 'depth', 'detection_features')


def task_of(model: nn.Module) -> str:
    """The task of a built OpenMMLab model, from the package that defines its class."""
    package = type(model).__module__.split('.')[0]
    if package == 'mmdet':
        return 'detection_features'
    if package == 'mmseg' or hasattr(model, 'decode_head'):
        return 'depth' if 'Depth' in type(model).__name__ else 'segmentation'
    if hasattr(model, 'head') and hasattr(model, 'extract_feat'):
        return 'classification'
    raise ValueError(f'model: {type(model).__name__} is neither an mmpretrain classifier, an mmseg segmentor or '
                     'depth estimator, nor an mmdet detector')


class TaskGraph(nn.Module):
    """``model`` as ``images -> tensors`` (see the module docstring for the outputs).

    Args:
        model: A built mmpretrain classifier, mmseg segmentor / depth estimator or mmdet detector.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.task = task_of(model)
        pre = model.data_preprocessor
        normalise = getattr(pre, '_enable_normalize', False)
        self.register_buffer('mean', pre.mean.detach().clone().reshape(1, -1, 1, 1) if normalise else None,
                             persistent=False)
        self.register_buffer('std', pre.std.detach().clone().reshape(1, -1, 1, 1) if normalise else None,
                             persistent=False)
        # mm loads BGR images: a preprocessor that does not swap channels feeds the model BGR.
        self.flip_to_bgr = not getattr(pre, '_channel_conversion', getattr(pre, 'channel_conversion', False))

    def output_names(self, example: Any) -> list[str]:
        """Names of the outputs ``forward`` returns (``feat0`` ... for detection features)."""
        if self.task == 'detection_features':
            return [f'feat{i}' for i in range(len(example))]
        return [dict(classification='logits', segmentation='seg_logits', depth='depth')[self.task]]

    def forward(self, images: torch.Tensor) -> Any:
        x = images.flip(1) if self.flip_to_bgr else images
        if self.mean is not None:
            x = (x - self.mean) / self.std
        if self.task == 'classification':
            return self.model(x, mode='tensor')
        if self.task == 'detection_features':
            return tuple(self.model.extract_feat(x))
        out = self.model(x, mode='tensor')
        return F.interpolate(out, size=images.shape[-2:], mode='bilinear',
                             align_corners=self.model.decode_head.align_corners)
