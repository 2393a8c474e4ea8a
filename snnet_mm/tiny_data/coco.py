"""Tiny COCO-format instance dataset: coloured shapes with boxes and polygon masks."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from PIL import Image

from ..utils.checks import check_int, check_ints
from .shapes import Shape, random_shapes, render, shape_mask

# Category names of the tiny dataset (ids 1..4); configs pass them as ``metainfo=dict(classes=...)``.
CLASSES = ('shape1', 'shape2', 'shape3', 'shape4')
BACKGROUND = 0  # class_colour(0) paints the background; never an annotation


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int], margin: int) -> bool:
    return not (a[2] + margin < b[0] or b[2] + margin < a[0] or a[3] + margin < b[1] or b[3] + margin < a[1])


def _separate(shapes: list[Shape], margin: int = 2) -> list[Shape]:
    """Shapes whose boxes do not touch (the first one always kept): every mask is fully visible."""
    kept: list[Shape] = []
    for shape in shapes:
        if all(not _overlaps(shape.box, other.box, margin) for other in kept):
            kept.append(shape)
    return kept


def _polygon(shape: Shape, points: int = 32) -> list[float]:
    """COCO polygon (pixel-edge coordinates) of a shape as PIL draws it (box corners inclusive)."""
    x0, y0, x1, y1 = shape.box
    if shape.kind == 'rectangle':
        return [float(v) for v in (x0, y0, x1 + 1, y0, x1 + 1, y1 + 1, x0, y1 + 1)]
    cx, cy = (x0 + x1 + 1) / 2, (y0 + y1 + 1) / 2
    rx, ry = (x1 - x0 + 1) / 2, (y1 - y0 + 1) / 2
    coords = []
    for k in range(points):
        t = 2 * math.pi * k / points
        coords += [round(cx + rx * math.cos(t), 2), round(cy + ry * math.sin(t), 2)]
    return coords


def make_coco_dataset(out_dir: str | Path, *, num_train: int = 24, num_val: int = 8,
                      size: tuple[int, int] = (96, 128), seed: int = 0) -> Path:
    """Write a tiny COCO 2017-layout instance dataset that mmdet's ``CocoDataset`` reads.

    Layout: ``train2017/``, ``val2017/`` (JPEG images) and
    ``annotations/instances_{train,val}2017.json`` with one annotation per shape: its category
    (``CLASSES``, ids 1..4, told apart by colour), tight box ``[x, y, w, h]``, polygon
    ``segmentation``, pixel ``area`` and ``iscrowd=0``. Shapes do not overlap, so every mask is
    the whole shape.

    Args:
        out_dir: Dataset root (created).
        num_train: Training images.
        num_val: Validation images.
        size: Image (height, width); at least 32 pixels each (mmdet's default ``min_size``).
        seed: Random seed.

    Returns:
        The dataset root.
    """
    check_int(num_train, 'num_train', minimum=1)
    check_int(num_val, 'num_val', minimum=1)
    size = check_ints(size, 'size', length=2, minimum=32, what='(height, width) of at least 32 pixels')
    root = Path(out_dir)
    (root / 'annotations').mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    categories = [dict(id=i + 1, name=name, supercategory='shape') for i, name in enumerate(CLASSES)]
    labels = [c['id'] for c in categories]
    ann_id = 1
    image_id = 1
    for split, count in (('train', num_train), ('val', num_val)):
        img_dir = root / f'{split}2017'
        img_dir.mkdir(parents=True, exist_ok=True)
        images, annotations = [], []
        for i in range(count):
            shapes = _separate(random_shapes(rng, size, labels, max_shapes=4))
            image, _ = render(rng, size, shapes, background=BACKGROUND)
            file_name = f'{split}_{i:05d}.jpg'
            Image.fromarray(image).save(img_dir / file_name, quality=95)
            images.append(dict(id=image_id, file_name=file_name, height=size[0], width=size[1]))
            for shape in shapes:
                mask = shape_mask(shape, size)
                ys, xs = np.nonzero(mask)
                x, y = int(xs.min()), int(ys.min())
                bbox = [float(x), float(y), float(xs.max() - x + 1), float(ys.max() - y + 1)]
                annotations.append(dict(id=ann_id, image_id=image_id, category_id=shape.label, bbox=bbox,
                                        area=float(mask.sum()), segmentation=[_polygon(shape)], iscrowd=0))
                ann_id += 1
            image_id += 1
        data = dict(info=dict(description=f'snnet_mm tiny COCO-format shapes ({split})', version='1.0'),
                    licenses=[], images=images, annotations=annotations, categories=categories)
        (root / 'annotations' / f'instances_{split}2017.json').write_text(json.dumps(data))
    return root
