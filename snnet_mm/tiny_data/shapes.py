"""Random scenes of coloured shapes: learnable content for tiny datasets.

Each shape's class decides its colour (plus noise), so a model can learn class from colour and
shape in a few iterations on a CPU.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw


@dataclass(frozen=True)
class Shape:
    """One shape of a scene: its class, its box (x0, y0, x1, y1) and its kind."""

    label: int
    box: tuple[int, int, int, int]
    kind: str  # 'rectangle' or 'ellipse'


def class_colour(label: int) -> tuple[int, int, int]:
    """A fixed, well separated RGB colour per class."""
    rng = np.random.default_rng(1000 + label)
    return tuple(int(v) for v in rng.integers(30, 226, size=3))


def random_shapes(rng: np.random.Generator, size: tuple[int, int], labels: list[int], *,
                  max_shapes: int = 3) -> list[Shape]:
    """Non-degenerate shapes of random classes inside an image of ``size`` (height, width)."""
    h, w = size
    shapes = []
    for _ in range(int(rng.integers(1, max_shapes + 1))):
        bw, bh = int(rng.integers(w // 4, w // 2 + 1)), int(rng.integers(h // 4, h // 2 + 1))
        x0, y0 = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
        shapes.append(Shape(int(rng.choice(labels)), (x0, y0, x0 + bw, y0 + bh),
                            'rectangle' if rng.random() < 0.5 else 'ellipse'))
    return shapes


def shape_mask(shape: Shape, size: tuple[int, int]) -> np.ndarray:
    """Boolean (H, W) mask of one shape."""
    canvas = Image.new('L', (size[1], size[0]), 0)
    draw = ImageDraw.Draw(canvas)
    getattr(draw, shape.kind)(shape.box, fill=1)
    return np.asarray(canvas, dtype=bool)


def render(rng: np.random.Generator, size: tuple[int, int], shapes: list[Shape], background: int,
           noise: float = 12.0) -> tuple[np.ndarray, np.ndarray]:
    """RGB uint8 image and per-pixel class map; later shapes cover earlier ones."""
    labels = np.full(size, background, dtype=np.int32)
    for shape in shapes:
        labels[shape_mask(shape, size)] = shape.label
    palette = np.array([class_colour(c) for c in range(int(labels.max()) + 1)], dtype=np.float32)
    image = palette[labels] + rng.normal(0, noise, size=(*size, 3))
    return np.clip(image, 0, 255).astype(np.uint8), labels
