"""Tiny ImageNet-layout classification dataset (one coloured shape class per image class)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..utils.checks import check_int
from .shapes import Shape, render


def make_imagenet_dataset(out_dir: str | Path, *, num_classes: int = 5, num_train: int = 40,
                          num_val: int = 20, size: int = 32, seed: int = 0) -> Path:
    """Write ``train/<wnid>/*.JPEG``, ``val/<wnid>/*.JPEG`` and ``meta/{train,val}.txt``.

    The class decides the colour and kind of the single shape on a neutral background, so a tiny
    ViT learns it in a few iterations. Labels in ``meta/*.txt`` are 0..num_classes-1, as
    mmpretrain's ``ImageNet`` dataset reads them.
    """
    check_int(num_classes, 'num_classes', minimum=2, maximum=1000)
    check_int(num_train, 'num_train', minimum=1)
    check_int(num_val, 'num_val', minimum=1)
    check_int(size, 'size', minimum=16)  # shapes are drawn 4 pixels inside the border
    root = Path(out_dir)
    rng = np.random.default_rng(seed)
    (root / 'meta').mkdir(parents=True, exist_ok=True)
    for split, count in (('train', num_train), ('val', num_val)):
        lines = []
        for i in range(count):
            label = i % num_classes
            wnid = f'n{label:08d}'
            w = int(rng.integers(size // 2, size - 4))
            x0, y0 = (int(v) for v in rng.integers(0, size - w, size=2))
            shape = Shape(label + 1, (x0, y0, x0 + w, y0 + w), 'ellipse' if label % 2 else 'rectangle')
            image, _ = render(rng, (size, size), [shape], background=0)
            (root / split / wnid).mkdir(parents=True, exist_ok=True)
            name = f'{wnid}/{split}_{i:05d}.JPEG'
            Image.fromarray(image).save(root / split / name, format='JPEG', quality=95)
            lines.append(f'{name} {label}')
        (root / 'meta' / f'{split}.txt').write_text('\n'.join(lines) + '\n')
    return root
