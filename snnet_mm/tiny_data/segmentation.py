"""Tiny ADE20K- and COCO-Stuff-10k-layout segmentation datasets."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..utils.checks import check_int, check_ints, check_one_of
from .shapes import random_shapes, render

# (image folder, annotation folder, annotation suffix) per split, as mmseg's datasets read them.
LAYOUTS = {
    'ade20k': dict(train=('images/training', 'annotations/training'),
                   val=('images/validation', 'annotations/validation'), suffix='.png', num_classes=150),
    'coco_stuff10k': dict(train=('images/train2014', 'annotations/train2014'),
                          val=('images/test2014', 'annotations/test2014'), suffix='_labelTrainIds.png',
                          num_classes=171),
}


def make_segmentation_dataset(out_dir: str | Path, layout: str = 'ade20k', *, num_train: int = 24,
                              num_val: int = 8, size: tuple[int, int] = (64, 80), seed: int = 0) -> Path:
    """Write a tiny segmentation dataset in the layout mmseg's dataset class reads.

    Labels are written as stored on disk: 0 is "ignore" (removed by ``reduce_zero_label``),
    classes are 1..num_classes. A background class fills each image and coloured shapes of a
    few other classes lie on it; a one-pixel frame of label 0 exercises the ignore index.

    Args:
        out_dir: Dataset root (created).
        layout: ``'ade20k'`` or ``'coco_stuff10k'``.
        num_train: Training images.
        num_val: Validation images.
        size: Image (height, width).
        seed: Random seed.

    Returns:
        The dataset root.
    """
    check_one_of(layout, 'layout', sorted(LAYOUTS))
    check_int(num_train, 'num_train', minimum=1)
    check_int(num_val, 'num_val', minimum=1)
    check_ints(size, 'size', length=2, minimum=16, what='(height, width) of at least 16 pixels')
    spec = LAYOUTS[layout]
    root = Path(out_dir)
    rng = np.random.default_rng(seed)
    classes = [1, 2, 3, 4, 5]  # background 1; shapes of classes 2..5
    for split, count in (('train', num_train), ('val', num_val)):
        img_dir, ann_dir = (root / p for p in spec[split])
        img_dir.mkdir(parents=True, exist_ok=True)
        ann_dir.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            shapes = random_shapes(rng, size, classes[1:])
            image, labels = render(rng, size, shapes, background=classes[0])
            labels[0, :] = labels[-1, :] = labels[:, 0] = labels[:, -1] = 0
            name = f'{split}_{i:05d}'
            Image.fromarray(image).save(img_dir / f'{name}.jpg', quality=95)
            Image.fromarray(labels.astype(np.uint8)).save(ann_dir / f'{name}{spec["suffix"]}')
    return root
