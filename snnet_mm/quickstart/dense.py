"""A dense quickstart stage: stitched UperNet / Mask R-CNN / DPT on digit scenes.

Each stage trains one config of ``configs/quickstart/`` through MMEngine's ``Runner`` (the
least-squares init and the sampling hook run as in any training), then sweeps every stitch in
one pass and writes the sweep's usual files to ``<work_dir>/<task>/``.
"""
from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

from ..evaluation.sweep import StitchSweep, save_results
from .tasks import Task


def configure(config: str | Path, task: Task, work_dir: Path, *, anchors: Sequence[Path], scenes: Path,
              seed: int, max_iters: int | None = None) -> Config:
    """The task's config with this run's work dir, anchors, data root, seed and length."""
    cfg = Config.fromfile(config)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = uuid.uuid4().hex[:8]
    cfg.randomness = dict(seed=seed, deterministic=True)
    for anchor, path in zip(cfg.model.backbone.anchors, anchors):
        anchor.checkpoint = str(path)
    root = scenes / task.layout
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = str(root)
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        if 'ann_file' in evaluator:  # CocoMetric reads the annotations itself
            evaluator.ann_file = str(root / 'annotations' / Path(evaluator.ann_file).name)
    if max_iters is not None:
        old = cfg.train_cfg.max_iters
        cfg.train_cfg.max_iters = cfg.train_cfg.val_interval = max_iters
        cfg.default_hooks.checkpoint.interval = max_iters
        for scheduler in cfg.param_scheduler:
            if scheduler.get('end') == old:
                scheduler.end = max_iters
                if 'T_max' in scheduler:
                    scheduler.T_max = max_iters - scheduler.begin
    return cfg


def train(cfg: Config) -> Path:
    """Train (skipped when the final checkpoint exists); the final checkpoint."""
    checkpoint = Path(cfg.work_dir) / f'iter_{cfg.train_cfg.max_iters}.pth'
    logger = MMLogger.get_current_instance()
    if checkpoint.exists():
        logger.info(f'quickstart: {checkpoint} exists, not training again')
        return checkpoint
    Runner.from_cfg(cfg).train()
    return checkpoint


def sweep(cfg: Config, checkpoint: Path, results_dir: Path) -> tuple[StitchSweep, list[dict[str, Any]]]:
    """Evaluate every stitch (resuming a killed sweep); the sweep (its runner holds the model)."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = str(results_dir / 'sweep')
    cfg.load_from = str(checkpoint)
    stitches = StitchSweep(Runner.from_cfg(cfg), cfg.work_dir, latency_iters=0)
    return stitches, stitches.run(list(range(stitches.backbone.num_stitches)), resume=True)


def predict(stitches: StitchSweep, indices: Sequence[int], sample: int = 0) -> dict[str, Any]:
    """One validation scene as the given stitches predict it (for predictions.png).

    Returns:
        ``image`` (HxWx3 uint8 RGB), ``truth`` and ``predictions`` (one per stitch): a class map
        (segmentation), a depth map (depth) or ``(boxes, labels, scores, masks)`` (detection).
    """
    runner, backbone = stitches.runner, stitches.backbone
    dataset = runner.test_loop.dataloader.dataset
    batch = runner.test_loop.dataloader.collate_fn([dataset[sample]])
    previous = backbone.current_stitch
    outputs = []
    try:
        with torch.no_grad():
            for index in indices:
                backbone.set_stitch(index)
                outputs.append(runner.model.test_step(batch)[0])
    finally:
        backbone.set_stitch(previous)
    image = batch['inputs'][0].permute(1, 2, 0).numpy()[..., ::-1]  # BGR as loaded -> RGB
    first = batch['data_samples'][0]
    if 'gt_sem_seg' in first:
        return dict(image=image, truth=first.gt_sem_seg.data[0].numpy(),
                    predictions=[o.pred_sem_seg.data[0].numpy() for o in outputs])
    if 'gt_depth_map' in first:
        return dict(image=image, truth=first.gt_depth_map.data[0].numpy(),
                    predictions=[o.pred_depth_map.data[0].numpy() for o in outputs])
    truth = first.gt_instances
    return dict(image=image, truth=(truth.bboxes.numpy(), truth.labels.numpy(), None, None),
                predictions=[_instances(o.pred_instances) for o in outputs])


def _instances(pred, score_thr: float = 0.5) -> tuple[np.ndarray, ...]:
    keep = pred.scores >= score_thr
    masks = pred.masks[keep] if 'masks' in pred else None
    return (pred.bboxes[keep].numpy(), pred.labels[keep].numpy(), pred.scores[keep].numpy(),
            None if masks is None else masks.numpy())


def run_dense(task: Task, config: str | Path, work_dir: Path, *, anchors: Sequence[Path], scenes: Path, seed: int,
              max_iters: int | None = None) -> dict[str, Any]:
    """Train and sweep one dense task under ``work_dir / task.name``; records, metric, paths, sweep."""
    task_dir = work_dir / task.name
    cfg = configure(config, task, task_dir / 'stitched', anchors=anchors, scenes=scenes, seed=seed,
                    max_iters=max_iters)
    logger = MMLogger.get_current_instance()
    logger.info(f'quickstart [{task.name}] training the stitched model ({Path(config).name})')
    checkpoint = train(cfg)
    logger.info(f'quickstart [{task.name}] evaluating every stitch on the validation scenes')
    stitches, records = sweep(cfg, checkpoint, task_dir)
    records, metric, paths = save_results(records, task_dir, task.metric)
    return dict(records=records, metric=metric, paths=paths, sweep=stitches, checkpoint=checkpoint)
