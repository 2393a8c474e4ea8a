"""The quickstart's tasks: which config, metric and margin tell each one's story."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    """One stage of the quickstart.

    Args:
        name: ``--tasks`` name.
        title: What the summary table and the figures call it.
        config: Config file in ``configs/quickstart/`` (the stitched model's).
        metric: Sweep metric the front is drawn for.
        min_gap: How much better L must be than S: metric points, or a fraction of S's value
            when ``relative``.
        relative: ``min_gap`` is relative (errors such as RMSE).
        layout: Digit-scene layout the task reads (``None``: the classification digits).
        registry: OpenMMLab package whose modules the config's scope uses.
        quick_iters: Training iterations of ``--quick`` (``None``: the classification epochs).
        scale: Display factor (CocoMetric's mAP is a fraction: 100 shows points).
    """

    name: str
    title: str
    config: str
    metric: str
    min_gap: float
    relative: bool = False
    layout: str | None = None
    registry: str = 'mmpretrain'
    quick_iters: int | None = None
    scale: float = 1.0

    def gap_holds(self, gap: float, relative_gap: float) -> bool:
        return (relative_gap if self.relative else gap) >= self.min_gap

    def margin(self) -> str:
        return f'{self.min_gap * 100:.0f} % of S' if self.relative else f'{self.min_gap * self.scale:g} points'


TASKS = {
    'cls': Task('cls', 'classification (top-1 %)', 'digits_snnetv2.py', 'accuracy/top1', 2.0),
    'seg': Task('seg', 'segmentation, UperNet (mIoU %)', 'digit_scenes_upernet.py', 'mIoU', 3.0,
                layout='ade20k', registry='mmseg', quick_iters=200),
    'det': Task('det', 'detection, Mask R-CNN (mask mAP %)', 'digit_scenes_mask-rcnn.py', 'coco/segm_mAP', 0.03,
                layout='coco', registry='mmdet', quick_iters=150, scale=100.0),
    'depth': Task('depth', 'depth, DPT (RMSE m)', 'digit_scenes_dpt.py', 'rmse', 0.10, relative=True,
                  layout='nyu', registry='mmseg', quick_iters=300),
}
DENSE = ('seg', 'det', 'depth')


def parse_tasks(text: str) -> list[str]:
    """``'cls,seg'`` -> ``['cls', 'seg']`` in the pipeline's order; a clear error for a bad name."""
    names = [t.strip() for t in str(text).split(',') if t.strip()]
    unknown = [t for t in names if t not in TASKS]
    if unknown or not names:
        raise ValueError(f'--tasks: expected a comma-separated subset of {",".join(TASKS)}, got {text!r}'
                         + (f' (unknown: {", ".join(unknown)})' if unknown else ''))
    return [t for t in TASKS if t in names]
