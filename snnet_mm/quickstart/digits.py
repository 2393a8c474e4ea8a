"""The handwritten digits of scikit-learn (1797 real 8x8 images) as an MMEngine dataset."""
from __future__ import annotations

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.registry import DATASETS

from ..tiny_data.digits import SPLITS, digit_split, upsample


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """sklearn's digits upsampled to ``img_size`` RGB images, split into train / val.

    The split is stratified-free but fixed: a seeded permutation, ``val_fraction`` of it for
    validation. Samples are ``dict(img=HxWx3 uint8, gt_label=int)`` for mmpretrain pipelines.

    Args:
        split: ``'train'`` or ``'val'``.
        img_size: Output side length (bilinear upsampling of the 8x8 originals).
        val_fraction: Share of images held out for validation.
        limit: Optional cap on the number of samples (quick runs and tests).
        seed: Permutation seed.
        pipeline: Data pipeline.
    """

    METAINFO = dict(classes=tuple(str(d) for d in range(10)))

    def __init__(self, *, split: str = 'train', img_size: int = 32, val_fraction: float = 0.2,
                 limit: int | None = None, seed: int = 0, pipeline: list | None = None, **kwargs) -> None:
        if split not in SPLITS:
            raise ValueError(f"split: expected 'train' or 'val', got {split!r}")
        if not 0 < val_fraction < 1:
            raise ValueError(f'val_fraction: expected a value in (0, 1), got {val_fraction!r}')
        self.split, self.img_size, self.val_fraction = split, img_size, val_fraction
        self.limit, self.seed = limit, seed
        super().__init__(pipeline=pipeline or [], serialize_data=False, **kwargs)

    def load_data_list(self) -> list[dict]:
        images, labels, _ = digit_split(self.split, val_fraction=self.val_fraction, seed=self.seed)
        if self.limit is not None:
            images, labels = images[:self.limit], labels[:self.limit]
        images = np.repeat(upsample(images, self.img_size)[..., None], 3, axis=3)
        return [dict(img=np.ascontiguousarray(image), gt_label=int(label),
                     img_shape=image.shape[:2], ori_shape=image.shape[:2]) for image, label in zip(images, labels)]
