"""One line per image saying what a bundle stitch predicted, from its raw outputs (numpy only)."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def _name(k: int, classes: Sequence[str] | None) -> str:
    return f'{classes[k]!r}' if classes and k < len(classes) else f'class {k}'


def describe(task: str, outputs: dict[str, np.ndarray], *, classes: Sequence[str] | None = None,
             top: int = 5, item: int = 0) -> str:
    """The prediction for image ``item`` of a batch.

    Classification: the top classes with softmax probabilities; segmentation: the classes
    covering most pixels of the argmax map; depth: the depth map's range; detection features:
    the feature shapes (the bundle holds the backbone and neck only).
    """
    if task == 'classification':
        logits = outputs['logits'][item].astype(np.float64)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        order = np.argsort(-probs)[:top]
        return 'top-{}: {}'.format(len(order), ', '.join(f'{_name(int(k), classes)} {probs[k]:.3f}' for k in order))
    if task == 'segmentation':
        labels = outputs['seg_logits'][item].argmax(0)
        counts = np.bincount(labels.ravel(), minlength=outputs['seg_logits'].shape[1])
        order = [int(k) for k in np.argsort(-counts)[:top] if counts[k]]
        shares = ', '.join(f'{_name(k, classes)} {100 * counts[k] / labels.size:.1f}%' for k in order)
        return f'{labels.shape[0]}x{labels.shape[1]} label map; most pixels: {shares}'
    if task == 'depth':
        depth = outputs['depth'][item].squeeze(0)
        return (f'{depth.shape[0]}x{depth.shape[1]} depth map: min {depth.min():.3f}, median '
                f'{float(np.median(depth)):.3f}, max {depth.max():.3f}')
    if task == 'detection_features':
        return 'backbone + neck features (boxes need the RoI heads, not in the bundle): ' + ', '.join(
            f'{k} {tuple(v.shape[1:])}' for k, v in outputs.items())
    raise ValueError(f'task: {task!r} is not one of classification, segmentation, depth, detection_features')
