"""scikit-learn's handwritten digits (1797 real 8x8 images) and the quickstart's fixed split."""
from __future__ import annotations

import numpy as np
import torch

SPLITS = ('train', 'val')


def digit_split(split: str, *, val_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 8x8 digits of one split: a seeded permutation, ``val_fraction`` of it held out.

    Every user of the digits (the classification quickstart and the digit scenes) takes its
    images from here, so no digit image is in both splits of any of them.

    Args:
        split: ``'train'`` or ``'val'``.
        val_fraction: Share of images held out for validation.
        seed: Permutation seed.

    Returns:
        ``(images, labels, ids)``: float images in [0, 1] of shape (N, 8, 8), int labels 0..9 and
        the images' indices in scikit-learn's array (in permutation order).
    """
    if split not in SPLITS:
        raise ValueError(f"split: expected 'train' or 'val', got {split!r}")
    if not 0 < val_fraction < 1:
        raise ValueError(f'val_fraction: expected a value in (0, 1), got {val_fraction!r}')
    from sklearn.datasets import load_digits
    digits = load_digits()
    order = np.random.default_rng(seed).permutation(len(digits.images))
    num_val = int(round(len(order) * val_fraction))
    ids = order[:num_val] if split == 'val' else order[num_val:]
    return digits.images[ids] / 16.0, digits.target[ids].astype(np.int64), ids


def upsample(images: np.ndarray, size: int) -> np.ndarray:
    """Grey (N, 8, 8) images in [0, 1] -> uint8 (N, size, size) by bilinear interpolation."""
    tensor = torch.as_tensor(np.asarray(images, dtype=np.float32))[:, None]
    tensor = torch.nn.functional.interpolate(tensor, size=size, mode='bilinear', align_corners=False)
    return (tensor.clamp(0, 1) * 255).round().to(torch.uint8)[:, 0].numpy()
