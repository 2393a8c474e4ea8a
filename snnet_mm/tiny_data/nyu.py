"""Tiny NYU Depth V2 dataset in the layout and depth scale of mmseg's ``NYUDataset``.

Layout (what ``tools/dataset_converters/nyu.py`` of mmseg writes)::

    ROOT/images/{train,test}/<scene>_<id>.jpg         RGB images
    ROOT/annotations/{train,test}/<scene>_<id>.png    16-bit depth in millimetres, 0 = no depth

``LoadDepthAnnotation(depth_rescale_factor=1e-3)`` reads the depth in metres; the scene name
before the first digit is one of ``NYUDataset``'s classes (its ``category_id``).

Content is learnable in a few CPU iterations: a receding floor/wall plane whose depth grows
linearly from the bottom row to the top row (its grey level darkens with depth, like falling
illumination), and coloured shapes standing in front of it, each class at its own known depth.
A two-pixel frame has no depth (0), as NYU's borders, to exercise the invalid-pixel mask.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..utils.checks import check_int, check_ints
from .shapes import class_colour, random_shapes, shape_mask

# NYUDataset class names used as scene prefixes (category_id = their index there).
SCENES = ('bedroom', 'kitchen', 'living_room', 'bathroom', 'office')
# Depth (metres) of each shape class; the plane behind them lies between NEAR and FAR.
SHAPE_DEPTHS = {2: 1.0, 3: 1.6, 4: 2.2, 5: 2.8}
NEAR = (3.0, 4.0)  # range of the plane's depth at the bottom row
FAR = (6.0, 9.0)   # range of the plane's depth at the top row
BORDER = 2         # pixels without depth around each image
DEPTH_SCALE = 1000  # PNG value per metre (mmseg's nyu configs: depth_rescale_factor=1e-3)


def plane_grey(depth: np.ndarray) -> np.ndarray:
    """Grey level of the plane at ``depth`` metres (darker further away)."""
    return 235.0 - 20.0 * depth


def make_nyu_dataset(out_dir: str | Path, *, num_train: int = 24, num_val: int = 8,
                     size: tuple[int, int] = (64, 80), seed: int = 0) -> Path:
    """Write a tiny NYU-layout depth dataset that mmseg's ``NYUDataset`` reads as is.

    Args:
        out_dir: Dataset root (created).
        num_train: Training images (``images/train``).
        num_val: Test images (``images/test``, the split mmseg's nyu configs validate on).
        size: Image (height, width); multiples of 16 keep the ViT patch grid exact.
        seed: Random seed.

    Returns:
        The dataset root.

    Raises:
        ValueError: On a non-positive count or a size too small for the shapes and the frame.
    """
    check_int(num_train, 'num_train', minimum=1)
    check_int(num_val, 'num_val', minimum=1)
    check_ints(size, 'size', length=2, minimum=16, what='(height, width) of at least 16 pixels')
    root = Path(out_dir)
    rng = np.random.default_rng(seed)
    h, w = int(size[0]), int(size[1])
    rows = np.linspace(1.0, 0.0, h, dtype=np.float64)[:, None]  # 1 at the top row, 0 at the bottom
    for split, count in (('train', num_train), ('test', num_val)):
        img_dir, ann_dir = root / 'images' / split, root / 'annotations' / split
        img_dir.mkdir(parents=True, exist_ok=True)
        ann_dir.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            near, far = rng.uniform(*NEAR), rng.uniform(*FAR)
            depth = np.repeat(near + (far - near) * rows, w, axis=1)
            image = np.repeat(plane_grey(depth)[..., None], 3, axis=2)
            for shape in random_shapes(rng, (h, w), sorted(SHAPE_DEPTHS)):
                mask = shape_mask(shape, (h, w))
                depth[mask] = SHAPE_DEPTHS[shape.label]
                image[mask] = class_colour(shape.label)
            image = np.clip(image + rng.normal(0, 6.0, size=image.shape), 0, 255).astype(np.uint8)
            depth_mm = np.round(depth * DEPTH_SCALE).astype(np.uint16)
            depth_mm[:BORDER] = depth_mm[-BORDER:] = 0
            depth_mm[:, :BORDER] = depth_mm[:, -BORDER:] = 0
            name = f'{SCENES[i % len(SCENES)]}_{i:05d}'
            Image.fromarray(image).save(img_dir / f'{name}.jpg', quality=95)
            Image.fromarray(depth_mm).save(ann_dir / f'{name}.png')  # 16-bit greyscale PNG
    return root
