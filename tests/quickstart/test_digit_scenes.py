"""Digit scenes: deterministic, split-clean, and read unchanged by mmseg's and mmdet's datasets."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip('sklearn')

from snnet_mm.tiny_data.digit_scenes import (CLASSES, DIGIT_DEPTH, FOCAL, PLANE_FAR, PLANE_NEAR,  # noqa: E402
                                             SEG_CLASSES, make_digit_scenes, render_scene)
from snnet_mm.tiny_data.digits import digit_split, upsample  # noqa: E402


@pytest.fixture(scope='module')
def scenes(tmp_path_factory) -> Path:
    return make_digit_scenes(tmp_path_factory.mktemp('scenes'), num_train=12, num_val=6, seed=0)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob('*')) if p.is_file()}


def test_same_seed_same_files_other_seed_other_scenes(scenes, tmp_path):
    again = make_digit_scenes(tmp_path / 'again', num_train=12, num_val=6, seed=0)
    other = make_digit_scenes(tmp_path / 'other', num_train=12, num_val=6, seed=1)
    assert _files(again) == _files(scenes)
    assert _files(other).keys() == _files(scenes).keys() and _files(other) != _files(scenes)


def test_no_digit_image_in_both_splits():
    _, _, train = digit_split('train')
    _, _, val = digit_split('val')
    assert not set(train) & set(val) and len(train) + len(val) == 1797


def test_a_card_is_the_split_digit_image_at_its_depth():
    images, labels, _ = digit_split('val')
    scene = render_scene(np.random.default_rng(3), images, labels)
    assert 2 <= len(scene.cards) <= 5
    nearest = scene.cards[-1]  # painted last: nothing covers it
    tile = upsample(images[nearest.digit][None], nearest.side)[0]
    rows, cols = nearest.region()
    assert np.abs(scene.image[rows, cols].astype(int) - tile[..., None]).max() <= 16  # noise of 4 grey levels
    assert scene.masks[-1][rows, cols].all() and (scene.classes[rows, cols] == 1 + nearest.label).all()
    assert abs(nearest.side - FOCAL / nearest.depth) <= 0.5
    for card, mask in zip(scene.cards, scene.masks):  # visible part: at least half the card
        assert mask.sum() >= 0.5 * card.side ** 2 and (scene.depth[mask] == card.depth).all()
    background = scene.classes == 0
    assert (scene.depth[background] >= PLANE_NEAR[0]).all() and (scene.depth[~background] <= DIGIT_DEPTH[1]).all()


def test_coco_layout_reads_in_mmdet_with_visible_boxes_and_masks(scenes):
    pytest.importorskip('mmdet')
    from mmdet.datasets import CocoDataset
    from mmdet.datasets.transforms import LoadAnnotations
    root = scenes / 'coco'
    dataset = CocoDataset(data_root=str(root), ann_file='annotations/instances_val2017.json',
                          data_prefix=dict(img='val2017/'), metainfo=dict(classes=CLASSES), test_mode=True,
                          pipeline=[])
    raw = json.loads((root / 'annotations' / 'instances_val2017.json').read_text())
    assert len(dataset) == 6 and dataset.metainfo['classes'] == CLASSES
    assert [c['name'] for c in raw['categories']] == list(CLASSES)
    ade = scenes / 'ade20k' / 'annotations' / 'validation'
    from PIL import Image
    for info in dataset:
        labels = np.asarray(Image.open(ade / Path(info['img_path']).with_suffix('.png').name)) - 1  # ADE: 1 + class
        loaded = LoadAnnotations(with_bbox=True, with_mask=True)(dict(info, ori_shape=(64, 64)))
        masks = loaded['gt_masks'].to_ndarray().astype(bool)
        assert len(masks) >= 2
        for box, label, mask in zip(loaded['gt_bboxes'].numpy(), loaded['gt_bboxes_labels'], masks):
            ys, xs = np.nonzero(mask)
            assert box.tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
            assert (labels[mask] == 1 + label).all()  # the segmentation map says the same digit there
        assert (labels[~masks.any(0)] == 0).all()


def test_ade20k_layout_reads_in_mmseg_as_background_and_ten_digits(scenes):
    pytest.importorskip('mmseg')
    from mmseg.datasets import ADE20KDataset, BaseSegDataset
    from mmseg.datasets.transforms import LoadAnnotations
    settings = dict(img_suffix='.jpg', seg_map_suffix='.png', reduce_zero_label=True)  # ADE20KDataset's
    assert ADE20KDataset(data_root=str(scenes / 'ade20k'), data_prefix=dict(
        img_path='images/validation', seg_map_path='annotations/validation'), pipeline=[]).get_data_info(0)
    dataset = BaseSegDataset(data_root=str(scenes / 'ade20k'), metainfo=dict(classes=SEG_CLASSES), **settings,
                            data_prefix=dict(img_path='images/training', seg_map_path='annotations/training'),
                            pipeline=[])
    assert len(dataset) == 12 and dataset.metainfo['classes'] == SEG_CLASSES
    seen = set()
    for info in dataset:
        seg = LoadAnnotations(reduce_zero_label=True)(dict(info))['gt_seg_map']
        assert set(np.unique(seg)) <= set(range(11)) and (seg == 0).any() and (seg > 0).any()
        seen |= set(np.unique(seg).tolist())
    assert len(seen) > 5


def test_nyu_layout_reads_in_mmseg_as_metres(scenes):
    pytest.importorskip('mmseg')
    from mmseg.datasets import NYUDataset
    from mmseg.datasets.transforms import LoadDepthAnnotation
    dataset = NYUDataset(data_root=str(scenes / 'nyu'),
                         data_prefix=dict(img_path='images/test', depth_map_path='annotations/test'), pipeline=[])
    assert len(dataset) == 6
    ade = scenes / 'ade20k' / 'annotations' / 'validation'
    from PIL import Image
    for info in dataset:
        depth = LoadDepthAnnotation(depth_rescale_factor=1e-3)(dict(info))['gt_depth_map']
        digits = np.asarray(Image.open(ade / Path(info['img_path']).with_suffix('.png').name)) > 1
        assert depth.shape == (64, 64) and depth.max() <= PLANE_FAR[1] + 1e-3
        assert (depth[digits] >= DIGIT_DEPTH[0] - 1e-3).all() and (depth[digits] <= DIGIT_DEPTH[1] + 1e-3).all()
        assert (depth[~digits] >= PLANE_NEAR[0] - 1e-3).all()  # the plane stands behind every digit
