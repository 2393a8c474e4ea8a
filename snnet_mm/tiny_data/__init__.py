"""Tiny datasets in the on-disk layouts of the upstream datasets, for CPU tests and demos."""
from .coco import make_coco_dataset
from .digit_scenes import make_digit_scenes
from .imagenet import make_imagenet_dataset
from .nyu import make_nyu_dataset
from .segmentation import make_segmentation_dataset

MAKERS = {
    'imagenet': lambda out, **kw: make_imagenet_dataset(out, **kw),
    'ade20k': lambda out, **kw: make_segmentation_dataset(out, 'ade20k', **kw),
    'coco_stuff10k': lambda out, **kw: make_segmentation_dataset(out, 'coco_stuff10k', **kw),
    'coco': lambda out, **kw: make_coco_dataset(out, **kw),
    'nyu': lambda out, **kw: make_nyu_dataset(out, **kw),
    'digit-scenes': lambda out, **kw: make_digit_scenes(out, **kw),
}


def make_tiny_data(kind: str, out_dir: str, **kwargs):
    """Write the tiny dataset ``kind`` (one of ``MAKERS``) to ``out_dir``."""
    if kind not in MAKERS:
        raise ValueError(f'kind: expected one of {sorted(MAKERS)}, got {kind!r}')
    return MAKERS[kind](out_dir, **kwargs)


__all__ = ['MAKERS', 'make_coco_dataset', 'make_digit_scenes', 'make_imagenet_dataset', 'make_nyu_dataset',
           'make_segmentation_dataset', 'make_tiny_data']
