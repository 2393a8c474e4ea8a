"""``NYUCrop``: the NYUv2 (Eigen) crop applied to training images before any other augmentation.

NYUv2's 480x640 frames have a border without depth (and with the Kinect's frame in the image).
The Depth-Estimation-Toolbox pipeline SN-Netv2 trained with crops every training pair to rows
45:472 and columns 43:608 (427x565) first, so the random 416x544 crop that follows never shows
the border (``depth/datasets/pipelines/transforms.py: NYUCrop`` of
zhyever/Monocular-Depth-Estimation-Toolbox). Registered in MMEngine's root ``TRANSFORMS``, so
``type='NYUCrop'`` resolves from the mmseg scope.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.registry import TRANSFORMS

NYU_SIZE = (480, 640)
EIGEN_BOX = (45, 472, 43, 608)  # top, bottom, left, right (exclusive ends), the toolbox's training crop


@TRANSFORMS.register_module()
class NYUCrop(BaseTransform):
    """Crop the image and every map in ``seg_fields`` (``gt_depth_map``) to a fixed box.

    Args:
        box: ``(top, bottom, left, right)`` in pixels, bottom/right exclusive.
        image_size: ``(height, width)`` the box is meant for; other sizes are refused, since a
            fixed box on a resized image would cut the wrong region.

    Raises:
        ValueError: On a box that is empty or outside ``image_size``; in ``transform``, on an
            image of another size.
    """

    def __init__(self, *, box: Sequence[int] = EIGEN_BOX, image_size: Sequence[int] = NYU_SIZE) -> None:
        if len(image_size) != 2 or any(not isinstance(s, int) or s < 1 for s in image_size):
            raise ValueError(f'image_size: expected (height, width) of positive ints, got {image_size!r}')
        if (len(box) != 4 or any(not isinstance(v, int) for v in box)
                or not 0 <= box[0] < box[1] <= image_size[0] or not 0 <= box[2] < box[3] <= image_size[1]):
            raise ValueError(f'box: expected (top, bottom, left, right) with 0 <= top < bottom <= '
                             f'{image_size[0]} and 0 <= left < right <= {image_size[1]}, got {box!r}')
        self.box = tuple(box)
        self.image_size = tuple(image_size)

    def transform(self, results: dict) -> dict:
        """Crop ``img`` and the ``seg_fields`` maps; ``img_shape`` becomes the box size."""
        img = results['img']
        if tuple(img.shape[:2]) != self.image_size:
            raise ValueError(f'img: NYUCrop expects {self.image_size[0]}x{self.image_size[1]} images '
                             f'(box {self.box}), got {img.shape[0]}x{img.shape[1]} ({results.get("img_path")})')
        top, bottom, left, right = self.box
        results['img'] = np.ascontiguousarray(img[top:bottom, left:right])
        for key in results.get('seg_fields', []):
            results[key] = np.ascontiguousarray(results[key][top:bottom, left:right])
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(box={self.box}, image_size={self.image_size})'
