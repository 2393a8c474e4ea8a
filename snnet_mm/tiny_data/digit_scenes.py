"""Digit scenes: real handwritten digits (scikit-learn) at depths, for dense prediction on a CPU.

A scene (default 64x64) is a receding textured plane with 2-5 digit cards standing in front of
it. A card is one whole 8x8 digit image (white stroke on black), scaled to ``FOCAL / depth``
pixels: nearer digits are larger and cover farther ones. Training scenes use only the training
digits of the classification quickstart's fixed split and validation scenes only its validation
digits (``snnet_mm.tiny_data.digits.digit_split``), so no digit image is in both splits.

One set of scenes is written in three upstream layouts, each read unchanged by its dataset class:

    DIR/ade20k  mmseg ADE20KDataset: images/{training,validation}/*.jpg and
                annotations/{training,validation}/*.png; 0 = ignore (never written), 1 =
                background, 2 + d = digit d (``reduce_zero_label=True`` gives 11 classes:
                background, 0, ..., 9)
    DIR/coco    mmdet CocoDataset: {train,val}2017/*.jpg and annotations/instances_{train,val}2017.json;
                one instance per visible card: category d + 1 (names '0'..'9'), box of its
                visible part, compressed RLE mask, area
    DIR/nyu     mmseg NYUDataset: images/{train,test}/*.jpg and annotations/{train,test}/*.png,
                uint16 depth in millimetres (``LoadDepthAnnotation(depth_rescale_factor=1e-3)``)
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .digits import digit_split, upsample
from .nyu import DEPTH_SCALE, SCENES

CLASSES = tuple(str(d) for d in range(10))   # digit categories (COCO ids 1..10)
SEG_CLASSES = ('background',) + CLASSES      # mmseg classes after reduce_zero_label
FOCAL = 40.0            # card side in pixels at 1 m
DIGIT_DEPTH = (1.0, 2.5)  # metres: cards 40 to 16 pixels wide
PLANE_NEAR = (3.0, 3.5)   # plane depth at the bottom row (metres)
PLANE_FAR = (5.0, 6.0)    # plane depth at the top row
NOISE = 4.0             # grey levels of pixel noise on a rendered picture
MIN_VISIBLE = 0.5         # a card at least this much covered by nearer ones is left out
LAYOUTS = {  # layout -> (folder per split, image name suffix)
    'ade20k': dict(train='training', val='validation'),
    'coco': dict(train='train2017', val='val2017'),
    'nyu': dict(train='train', val='test'),
}


@dataclass(frozen=True)
class Card:
    """One digit of a scene: which digit image, its class, depth and top-left corner."""

    digit: int      # index into the split's digit images
    label: int      # 0..9
    depth: float    # metres
    side: int       # pixels (FOCAL / depth, rounded)
    x: int
    y: int

    def region(self) -> tuple[slice, slice]:
        return slice(self.y, self.y + self.side), slice(self.x, self.x + self.side)


@dataclass(frozen=True)
class Scene:
    """A rendered scene: RGB image, depth (metres), class map (0 background, 1 + d) and one
    visible mask per card (nearest card last)."""

    image: np.ndarray
    depth: np.ndarray
    classes: np.ndarray
    cards: tuple[Card, ...]
    masks: tuple[np.ndarray, ...]


def _place_cards(rng: np.random.Generator, labels: np.ndarray, size: int) -> list[Card]:
    """2-5 cards, nearest first; each placed where nearer cards cover less than half of it."""
    wanted = int(rng.integers(2, 6))
    depths = np.sort(rng.uniform(*DIGIT_DEPTH, size=wanted))
    covered = np.zeros((size, size), dtype=bool)
    cards = []
    for depth in depths:
        digit = int(rng.integers(len(labels)))
        side = int(round(FOCAL / depth))
        for _ in range(20):
            x, y = (int(v) for v in rng.integers(0, size - side + 1, size=2))
            card = Card(digit, int(labels[digit]), float(depth), side, x, y)
            if covered[card.region()].mean() < MIN_VISIBLE:
                covered[card.region()] = True
                cards.append(card)
                break
    return cards


def _background(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Textured plane (RGB float) darkening with depth, and its depth (rows recede upwards)."""
    near, far = rng.uniform(*PLANE_NEAR), rng.uniform(*PLANE_FAR)
    rows = np.linspace(1.0, 0.0, size)[:, None]  # 1 at the top row
    depth = np.repeat(near + (far - near) * rows, size, axis=1)
    coarse = rng.uniform(-1, 1, size=(3, 6, 6)).astype(np.float32)
    texture = np.stack([np.asarray(Image.fromarray(c).resize((size, size), Image.BICUBIC)) for c in coarse], -1)
    tint = rng.uniform(0.6, 1.0, size=3)
    grey = 250.0 - 25.0 * depth  # about 170 near, 100 far
    image = grey[..., None] * tint + 35.0 * texture
    return image, depth


def render_card(rng: np.random.Generator, digit: np.ndarray, frame: int, sides: tuple[int, int]) -> np.ndarray:
    """One digit as the scenes draw it, alone: a card of random side on the textured plane.

    The classification quickstart trains its anchors on these, so that what they learn (a digit
    of any size, anywhere, on the plane) is what the dense tasks' scenes ask of them.

    Args:
        rng: Random generator (side, position, plane, noise).
        digit: One grey 8x8 digit, float in [0, 1].
        frame: Side of the square picture in pixels.
        sides: Smallest and largest card side in pixels (both included; at most ``frame``).

    Returns:
        ``frame x frame x 3`` uint8 RGB picture.
    """
    image, _ = _background(rng, frame)
    side = int(rng.integers(sides[0], sides[1] + 1))
    x, y = (int(v) for v in rng.integers(0, frame - side + 1, size=2))
    image[y:y + side, x:x + side] = upsample(np.asarray(digit)[None], side)[0][..., None]
    return np.clip(image + rng.normal(0, NOISE, size=image.shape), 0, 255).astype(np.uint8)


def render_scene(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray, size: int = 64) -> Scene:
    """One scene from the split's 8x8 ``images`` (float in [0, 1]) and their ``labels``."""
    image, depth = _background(rng, size)
    classes = np.zeros((size, size), dtype=np.uint8)
    owner = np.full((size, size), -1, dtype=np.int64)
    cards = _place_cards(rng, labels, size)[::-1]  # paint far to near: nearer cards cover farther ones
    for i, card in enumerate(cards):
        tile = upsample(images[card.digit][None], card.side)[0].astype(np.float64)
        region = card.region()
        image[region] = tile[..., None]
        depth[region] = card.depth
        classes[region] = 1 + card.label
        owner[region] = i
    image = np.clip(image + rng.normal(0, NOISE, size=image.shape), 0, 255).astype(np.uint8)
    masks = tuple(owner == i for i in range(len(cards)))
    return Scene(image=image, depth=depth, classes=classes, cards=tuple(cards), masks=masks)


def _coco_annotation(scene: Scene, image_id: int, first_id: int) -> list[dict]:
    from pycocotools import mask as mask_utils
    annotations = []
    for card, mask in zip(scene.cards, scene.masks):
        ys, xs = np.nonzero(mask)
        rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
        x, y = int(xs.min()), int(ys.min())
        annotations.append(dict(
            id=first_id + len(annotations), image_id=image_id, category_id=card.label + 1,
            bbox=[float(x), float(y), float(xs.max() - x + 1), float(ys.max() - y + 1)],
            area=float(mask.sum()), segmentation=dict(size=list(rle['size']), counts=rle['counts'].decode()),
            iscrowd=0))
    return annotations


def make_digit_scenes(out_dir: str | Path, *, num_train: int = 1000, num_val: int = 200, size: int = 64,
                      seed: int = 0) -> Path:
    """Write digit scenes in the ADE20K, COCO and NYU layouts under ``out_dir``.

    Args:
        out_dir: Root; ``ade20k/``, ``coco/`` and ``nyu/`` are written below it.
        num_train: Training scenes (from the training digits).
        num_val: Validation scenes (from the validation digits).
        size: Scene side in pixels; at least 48 (the nearest card is 40 pixels wide).
        seed: Scene seed: the same seed writes the same files.

    Returns:
        The root.

    Raises:
        ValueError: A count that is not an int >= 1, or a size that is not an int >= 48.
    """
    for field, value in (('num_train', num_train), ('num_val', num_val)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'{field}: expected an int >= 1, got {value!r}')
    if isinstance(size, bool) or not isinstance(size, int) or size < 48:
        raise ValueError(f'size: expected an int >= 48 (cards are up to {FOCAL:.0f} pixels), got {size!r}')
    root = Path(out_dir)
    rng = np.random.default_rng(seed)
    categories = [dict(id=d + 1, name=name, supercategory='digit') for d, name in enumerate(CLASSES)]
    image_id = ann_id = 1
    for split, count in (('train', num_train), ('val', num_val)):
        dirs = dict(
            ade_img=root / 'ade20k' / 'images' / LAYOUTS['ade20k'][split],
            ade_ann=root / 'ade20k' / 'annotations' / LAYOUTS['ade20k'][split],
            coco=root / 'coco' / LAYOUTS['coco'][split],
            nyu_img=root / 'nyu' / 'images' / LAYOUTS['nyu'][split],
            nyu_ann=root / 'nyu' / 'annotations' / LAYOUTS['nyu'][split])
        for d in (*dirs.values(), root / 'coco' / 'annotations'):
            d.mkdir(parents=True, exist_ok=True)
        digits, labels, _ = digit_split(split)
        images, annotations = [], []
        for i in range(count):
            scene = render_scene(rng, digits, labels, size)
            name = f'{SCENES[i % len(SCENES)]}_{i:05d}'
            picture = Image.fromarray(scene.image)
            for folder in (dirs['ade_img'], dirs['coco'], dirs['nyu_img']):
                picture.save(folder / f'{name}.jpg', quality=95)
            Image.fromarray(scene.classes + 1).save(dirs['ade_ann'] / f'{name}.png')
            Image.fromarray(np.round(scene.depth * DEPTH_SCALE).astype(np.uint16)).save(dirs['nyu_ann'] / f'{name}.png')
            images.append(dict(id=image_id, file_name=f'{name}.jpg', height=size, width=size))
            new = _coco_annotation(scene, image_id, ann_id)
            annotations += new
            ann_id += len(new)
            image_id += 1
        data = dict(info=dict(description=f'snnet_mm digit scenes ({split})', version='1.0'), licenses=[],
                    images=images, annotations=annotations, categories=categories)
        (root / 'coco' / 'annotations' / f'instances_{split}2017.json').write_text(json.dumps(data))
    return root
