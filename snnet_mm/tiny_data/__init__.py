"""Tiny datasets in the on-disk layouts of the upstream datasets, for CPU tests and demos."""
from .segmentation import make_segmentation_dataset

MAKERS = {
    'ade20k': lambda out, **kw: make_segmentation_dataset(out, 'ade20k', **kw),
    'coco_stuff10k': lambda out, **kw: make_segmentation_dataset(out, 'coco_stuff10k', **kw),
}


def make_tiny_data(kind: str, out_dir: str, **kwargs):
    """Write the tiny dataset ``kind`` (one of ``MAKERS``) to ``out_dir``."""
    if kind not in MAKERS:
        raise ValueError(f'kind: expected one of {sorted(MAKERS)}, got {kind!r}')
    return MAKERS[kind](out_dir, **kwargs)


__all__ = ['MAKERS', 'make_segmentation_dataset', 'make_tiny_data']
