"""One trained model behind its upstream inferencer, built once; a prediction drawn by the task's visualizer.

``tools/infer.py`` and ``snnet demo`` both draw through ``StitchInferencer.predict``, so the
demo's picture of a stitch is the picture ``tools/infer.py --stitch`` writes for it. The
inferencers are mmseg's ``MMSegInferencer`` (segmentation and depth), mmdet's ``DetInferencer``
and mmpretrain's ``ImageClassificationInferencer``; only the trained checkpoint is read.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from mmengine.config import Config

SCOPES = ('mmpretrain', 'mmseg', 'mmdet')


@dataclass(frozen=True)
class Prediction:
    """What one stitch made of one image.

    Attributes:
        picture: The visualizer's drawing, RGB ``HxWx3`` uint8.
        top5: Classification: ``(class name, score)`` of the five best classes; else empty.
        forward_ms: Wall time of the model's forward (data preprocessor excluded).
        draw_ms: Wall time of the visualizer's drawing.
        total_ms: Wall time of the whole prediction (pipeline, forward, drawing).
    """

    picture: np.ndarray
    top5: tuple[tuple[str, float], ...]
    forward_ms: float
    draw_ms: float
    total_ms: float


def config_scope(cfg: Config) -> str:
    """The config's ``default_scope``, one of ``SCOPES``, else a ValueError naming it."""
    scope = cfg.get('default_scope')
    if scope not in SCOPES:
        raise ValueError(f'config: default_scope {scope!r} is none of mmseg, mmdet, mmpretrain')
    return scope


def task_name(cfg: Config) -> str:
    """``'classification'``, ``'segmentation'``, ``'depth'`` or ``'detection'``."""
    scope = config_scope(cfg)
    if scope == 'mmpretrain':
        return 'classification'
    if scope == 'mmdet':
        return 'detection'
    return 'depth' if cfg.model.get('type') == 'DepthEstimator' else 'segmentation'


class _Stopwatch:
    """Wall time of the last call of a function wrapped by ``timed``."""

    def __init__(self) -> None:
        self.ms = 0.0

    def timed(self, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.ms = (time.perf_counter() - start) * 1e3
        return wrapper


class _ForwardTimer:
    """Wall time of the last forward of a module, from its forward pre- and post-hooks."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.started = 0.0
        self.ms = 0.0
        module.register_forward_pre_hook(self._start)
        module.register_forward_hook(self._stop)

    def _start(self, *_: Any) -> None:
        self.started = time.perf_counter()

    def _stop(self, *_: Any) -> None:
        self.ms = (time.perf_counter() - self.started) * 1e3


class StitchInferencer:
    """The config's upstream inferencer with the checkpoint loaded; ``predict`` runs the backbone's
    current stitch (switch it with ``backbone.set_stitch``).

    Args:
        cfg: The model's config (its ``default_scope`` picks the inferencer).
        checkpoint: The trained checkpoint.
        device: Torch device.
    """

    def __init__(self, cfg: Config, checkpoint: str | Path, *, device: str = 'cpu') -> None:
        self.scope = config_scope(cfg)
        self.task = task_name(cfg)
        checkpoint = str(checkpoint)
        if self.scope == 'mmpretrain':
            from mmpretrain.apis import ImageClassificationInferencer
            self.inferencer = ImageClassificationInferencer(model=cfg, pretrained=checkpoint, device=device)
        elif self.scope == 'mmdet':
            from mmdet.apis import DetInferencer
            self.inferencer = DetInferencer(model=cfg, weights=checkpoint, device=device, show_progress=False)
        else:
            from mmseg.apis import MMSegInferencer
            self.inferencer = MMSegInferencer(model=cfg, weights=checkpoint, device=device)
        self.inferencer.show_progress = False  # a progress bar per image is noise in a server's log
        from ..engine import find_stitched_backbone
        self.backbone = find_stitched_backbone(self.model)
        self._timer = _ForwardTimer(self.model)
        self._drawing = _Stopwatch()
        if self.scope != 'mmpretrain':  # this inferencer draws inside its call: time its visualize step
            self.inferencer.visualize = self._drawing.timed(self.inferencer.visualize)

    @property
    def model(self) -> torch.nn.Module:
        return self.inferencer.model

    def predict(self, image: str | Path) -> Prediction:
        """The current stitch's prediction on the image file ``image``, drawn."""
        start = time.perf_counter()
        image = str(image)
        top5: tuple[tuple[str, float], ...] = ()
        if self.scope == 'mmpretrain':
            picture, top5 = self._classify(image)
        else:
            kwargs = dict(no_save_vis=True, no_save_pred=True) if self.scope == 'mmdet' else {}
            picture = _single(self.inferencer(image, return_vis=True, **kwargs)['visualization'])
        return Prediction(picture=np.ascontiguousarray(picture), top5=top5, forward_ms=self._timer.ms,
                          draw_ms=self._drawing.ms, total_ms=(time.perf_counter() - start) * 1e3)

    def _classify(self, image: str) -> tuple[np.ndarray, tuple[tuple[str, float], ...]]:
        # ImageClassificationInferencer.visualize draws only when it also writes a file (show_dir);
        # this is its drawing, the same call on its visualizer, without the file.
        from mmcv.image import imread
        from mmpretrain.visualization import UniversalVisualizer
        inferencer = self.inferencer
        (pred,) = inferencer(image, return_datasamples=True)
        scores = pred.pred_score
        classes = inferencer.classes or [str(i) for i in range(len(scores))]
        top5 = tuple((classes[i], float(scores[i])) for i in scores.argsort(descending=True)[:5].tolist())
        if inferencer.visualizer is None:
            inferencer.visualizer = UniversalVisualizer()

        @self._drawing.timed
        def draw() -> np.ndarray:
            inferencer.visualizer.visualize_cls(
                imread(image)[..., ::-1], pred, classes=inferencer.classes, draw_gt=False, draw_pred=True,
                draw_score=True, name=Path(image).stem)
            return inferencer.visualizer.get_image()
        return draw(), top5


def _single(visualization: np.ndarray | list[np.ndarray]) -> np.ndarray:
    # Inferencers unwrap the list for a single input (mmseg) or keep it (mmdet).
    return visualization[0] if isinstance(visualization, list) else visualization
