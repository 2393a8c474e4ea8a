"""The quickstart pipeline: digits -> two ViT anchors -> stitched SN-Netv2 -> sweep -> front."""
from __future__ import annotations

import os
import platform
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

from ..evaluation import select_stitch
from ..evaluation.sweep import StitchSweep, save_results
from .story import describe, summarize

ANCHOR_FILES = ('anchor_small.pth', 'anchor_large.pth')


def _configure(path: str | Path, work_dir: Path, epochs: int | None, limit: int | None,
               seed: int | None = None) -> Config:
    cfg = Config.fromfile(path)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = uuid.uuid4().hex[:8]
    if seed is not None:
        cfg.randomness = dict(seed=seed, deterministic=True)
    if epochs is not None:
        cfg.train_cfg.max_epochs = cfg.train_cfg.val_interval = epochs
        cfg.default_hooks.checkpoint.interval = epochs
        cfg.param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, eta_min=1e-5, begin=0, end=epochs,
                                    T_max=epochs)]
    if limit is not None:
        cfg.train_dataloader.dataset.limit = limit
        cfg.val_dataloader.dataset.limit = max(limit // 4, 50)
        cfg.test_dataloader = cfg.val_dataloader
    return cfg


def train_anchors(config: str | Path, work_dir: Path, *, epochs: int | None = None,
                  limit: int | None = None, seed: int | None = None) -> list[Path]:
    """Train both anchors from scratch (skipped when their checkpoints exist); timm state dicts."""
    paths = [work_dir / name for name in ANCHOR_FILES]
    logger = MMLogger.get_current_instance()
    if all(p.exists() for p in paths):
        logger.info(f'quickstart [1/3] anchors already trained, loading {paths[0]} and {paths[1]}')
        return paths
    logger.info('quickstart [1/3] training the two ViT anchors from scratch')
    runner = Runner.from_cfg(_configure(config, work_dir / 'anchors', epochs, limit, seed))
    runner.train()
    for anchor, path in zip(runner.model.backbone.net.anchors, paths):
        torch.save(anchor.model.state_dict(), path)
    return paths


def train_stitches(config: str | Path, work_dir: Path, anchors: list[Path], *, epochs: int | None = None,
                   limit: int | None = None, seed: int | None = None) -> Path:
    """Least-squares init and SN-Netv2 training of every stitch; returns the last checkpoint."""
    MMLogger.get_current_instance().info('quickstart [2/3] stitching the anchors and training all stitches')
    cfg = _configure(config, work_dir / 'stitched', epochs, limit, seed)
    for anchor, path in zip(cfg.model.backbone.anchors, anchors):
        anchor.checkpoint = str(path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    return Path(cfg.work_dir) / f'epoch_{cfg.train_cfg.max_epochs}.pth'


def sweep(config: str | Path, work_dir: Path, checkpoint: Path, *, limit: int | None = None,
          latency_iters: int = 0) -> list[dict[str, Any]]:
    """Evaluate every stitch on the validation split (resuming a killed sweep of this checkpoint)."""
    MMLogger.get_current_instance().info('quickstart [3/3] evaluating every stitch on the validation split')
    cfg = _configure(config, work_dir / 'sweep', None, limit)
    cfg.load_from = str(checkpoint)
    runner = Runner.from_cfg(cfg)
    stitches = StitchSweep(runner, cfg.work_dir, latency_iters=latency_iters)
    if stitches.mismatch() is not None:
        stitches.results_path.unlink()  # results of the model an earlier run trained
    return stitches.run(list(range(stitches.backbone.num_stitches)), resume=True)


def format_table(records: list[dict[str, Any]], metric: str) -> str:
    lines = [f'{"stitch":>6}  {"route":<28} {"MFLOPs":>8} {"params(K)":>9} {"top-1":>6}  front']
    for r in sorted(records, key=lambda r: r['flops']):
        lines.append(f'{r["index"]:>6}  {r["route"]:<28} {r["flops"] / 1e6:>8.2f} {r["params"] / 1e3:>9.1f} '
                     f'{r[metric]:>6.2f}  {"*" if r["pareto"] else ""}')
    return '\n'.join(lines)


def markdown_table(records: list[dict[str, Any]], metric: str) -> str:
    lines = ['| stitch | route | MFLOPs | params (K) | top-1 (%) | front |',
             '| ---: | --- | ---: | ---: | ---: | :---: |']
    for r in sorted(records, key=lambda r: r['flops']):
        lines.append(f'| {r["index"]} | `{r["route"]}` | {r["flops"] / 1e6:.2f} | {r["params"] / 1e3:.1f} | '
                     f'{r[metric]:.2f} | {"*" if r["pareto"] else ""} |')
    return '\n'.join(lines)


def machine() -> str:
    """CPU model, core count and load: what a quoted wall time depends on."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path('/proc/cpuinfo')
    if cpuinfo.exists():
        names = [line.split(':', 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith('model name')]
        model = names[0] if names else model
    load = ', load average %.2f' % os.getloadavg()[0] if hasattr(os, 'getloadavg') else ''
    return f'{model}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads{load}'


def write_docs(docs_dir: str | Path, *, command: str, summary: str, table: str, plot: Path,
               seconds: float, machine_at_start: str) -> Path:
    """``quickstart_results.md`` and ``quickstart_pareto.png`` in ``docs_dir``, from this run."""
    docs_dir = Path(docs_dir)
    docs_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(plot, docs_dir / 'quickstart_pareto.png')
    path = docs_dir / 'quickstart_results.md'
    when = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
    path.write_text(f'# Quickstart results\n\nWritten by `{command}` on {when} ({machine_at_start} at the start) '
                    f'in {seconds:.0f} s.\n\n{summary}\n\n'
                    f'![top-1 vs FLOPs of every stitch](quickstart_pareto.png)\n\n'
                    f'All stitches, sorted by FLOPs (* = on the Pareto front of top-1 vs FLOPs):\n\n{table}\n')
    return path


def run_quickstart(*, anchors_config: str | Path, stitch_config: str | Path, work_dir: str | Path,
                   anchor_epochs: int | None = None, stitch_epochs: int | None = None,
                   limit: int | None = None, budget_gflops: float | None = None, seed: int = 0,
                   threads: int = 1, docs_dir: str | Path | None = None, command: str = '') -> dict[str, Any]:
    """The whole quickstart; returns the records, the metric, the plot path, the budget pick and
    the story summary (``snnet_mm.quickstart.story.summarize``).

    Training is seeded and deterministic (``randomness=dict(seed=seed, deterministic=True)``) on
    ``threads`` CPU threads, so the same machine gives the same table on every run.
    """
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f'threads: expected an int >= 1, got {threads!r}')
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=False)  # what mmpretrain's tools/train.py does
    torch.set_num_threads(threads)  # float sums are split by thread, so the count fixes the numbers
    start = time.perf_counter()
    machine_at_start = machine()
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    logger = MMLogger.get_instance('snnet_mm')
    anchors = train_anchors(anchors_config, work_dir, epochs=anchor_epochs, limit=limit, seed=seed)
    checkpoint = train_stitches(stitch_config, work_dir, anchors, epochs=stitch_epochs, limit=limit, seed=seed)
    records, metric, paths = save_results(sweep(stitch_config, work_dir, checkpoint, limit=limit), work_dir,
                                          'accuracy/top1')
    png = paths['png']
    anchor_rows = [r for r in records if r['kind'] == 'anchor']
    if budget_gflops is None:  # halfway between the anchors' costs
        budget_gflops = sum(r['flops'] for r in anchor_rows) / len(anchor_rows) / 1e9
    choice = select_stitch(records, metric=metric, max_gflops=budget_gflops)
    story = summarize(records, metric)
    pick = (f'budget {budget_gflops * 1e3:.2f} MFLOPs -> stitch {choice["index"]} {choice["route"]}: '
            f'{choice[metric]:.2f} % top-1 at {choice["flops"] / 1e6:.2f} MFLOPs')
    logger.info('\n' + format_table(records, metric) + '\n(* = on the Pareto front of top-1 vs FLOPs)')
    logger.info(describe(story, metric))
    logger.info(pick)
    seconds = time.perf_counter() - start
    logger.info(f'wrote {work_dir / "stitches.csv"} and {png} in {seconds:.0f} s ({machine_at_start} at the start)')
    if docs_dir is not None:
        docs = write_docs(docs_dir, command=command, summary=f'{describe(story, metric)}.\n\n{pick}.',
                          table=markdown_table(records, metric), plot=png, seconds=seconds,
                          machine_at_start=machine_at_start)
        logger.info(f'wrote {docs} and its figure')
    return dict(records=records, metric=metric, plot=png, choice=choice, budget_gflops=budget_gflops,
                story=story, seconds=seconds)
