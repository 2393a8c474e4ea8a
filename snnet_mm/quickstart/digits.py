"""The handwritten digits of scikit-learn (1797 real 8x8 images) as an MMEngine dataset."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.dataset import BaseDataset
from mmengine.registry import DATASETS, TRANSFORMS

from ..tiny_data.digit_scenes import render_card
from ..tiny_data.digits import SPLITS, digit_split, upsample
from ..utils.checks import check_int, check_ints


def _check_sides(sides: Sequence[int], frame: int, field: str) -> tuple[int, int]:
    check_ints(sides, field, length=2, minimum=1, what='(smallest, largest) card side in pixels')
    low, high = int(sides[0]), int(sides[1])
    if low > high or high > frame:
        raise ValueError(f'{field}: expected smallest <= largest <= the picture side {frame}, got {tuple(sides)!r}')
    return low, high


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """sklearn's digits as RGB images, split into train / val.

    The split is stratified-free but fixed: a seeded permutation, ``val_fraction`` of it for
    validation. Samples are ``dict(img=HxWx3 uint8, gt_label=int, digit=8x8 float)`` for
    mmpretrain pipelines.

    Args:
        split: ``'train'`` or ``'val'``.
        img_size: Output side length.
        card_sides: ``None``: the digit fills the picture (bilinear upsampling of the 8x8
            original). ``(smallest, largest)``: the digit is a card of a side in that range at a
            random place on the digit scenes' textured plane
            (``snnet_mm.tiny_data.digit_scenes.render_card``), drawn once per image from
            ``seed`` (``RandomDigitCard`` draws a new one at every use in training).
        val_fraction: Share of images held out for validation.
        limit: Optional cap on the number of samples (quick runs and tests).
        seed: Permutation seed (and card seed).
        pipeline: Data pipeline.
    """

    METAINFO = dict(classes=tuple(str(d) for d in range(10)))

    def __init__(self, *, split: str = 'train', img_size: int = 32, card_sides: Sequence[int] | None = None,
                 val_fraction: float = 0.2, limit: int | None = None, seed: int = 0, pipeline: list | None = None,
                 **kwargs) -> None:
        if split not in SPLITS:
            raise ValueError(f"split: expected 'train' or 'val', got {split!r}")
        if not 0 < val_fraction < 1:
            raise ValueError(f'val_fraction: expected a value in (0, 1), got {val_fraction!r}')
        check_int(img_size, 'img_size', minimum=8)
        self.card_sides = None if card_sides is None else _check_sides(card_sides, img_size, 'card_sides')
        self.split, self.img_size, self.val_fraction = split, img_size, val_fraction
        self.limit, self.seed = limit, seed
        super().__init__(pipeline=pipeline or [], serialize_data=False, **kwargs)

    def load_data_list(self) -> list[dict]:
        digits, labels, _ = digit_split(self.split, val_fraction=self.val_fraction, seed=self.seed)
        if self.limit is not None:
            digits, labels = digits[:self.limit], labels[:self.limit]
        if self.card_sides is None:
            images = np.repeat(upsample(digits, self.img_size)[..., None], 3, axis=3)
        else:
            stream = SPLITS.index(self.split)
            images = [render_card(np.random.default_rng([self.seed, stream, i]), digit, self.img_size,
                                  self.card_sides) for i, digit in enumerate(digits)]
        return [dict(img=np.ascontiguousarray(image), gt_label=int(label), digit=digit,
                     img_shape=image.shape[:2], ori_shape=image.shape[:2])
                for image, label, digit in zip(images, labels, digits)]


@TRANSFORMS.register_module()
class RandomDigitCard(BaseTransform):
    """Draw the sample's digit again as a card on the plane: new side, place, plane and noise.

    Training augmentation for ``DigitsDataset(card_sides=...)``: every epoch shows each digit
    differently (numpy's global generator, which the runner's ``randomness`` seeds).

    Args:
        sides: Smallest and largest card side in pixels (at most the picture's side).
    """

    def __init__(self, sides: Sequence[int] = (12, 32)) -> None:
        check_ints(sides, 'sides', length=2, minimum=1, what='(smallest, largest) card side in pixels')
        self.sides = (int(sides[0]), int(sides[1]))

    def transform(self, results: dict[str, Any]) -> dict[str, Any]:
        if 'digit' not in results:
            raise KeyError("RandomDigitCard: the sample has no 'digit' (8x8 image): use it with DigitsDataset")
        frame = results['img'].shape[0]
        sides = _check_sides(self.sides, frame, 'sides')
        rng = np.random.default_rng(np.random.randint(2 ** 31))
        results['img'] = render_card(rng, results['digit'], frame, sides)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(sides={self.sides})'
