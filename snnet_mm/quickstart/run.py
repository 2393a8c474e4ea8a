"""The quickstart pipeline: digits -> two ViT anchors -> stitched SN-Netv2 -> sweep -> front."""
from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

from ..stitching.pareto import select_stitch
from ..evaluation.sweep import StitchSweep, save_results
from ..tiny_data.digit_scenes import make_digit_scenes
from .dense import predict, run_dense
from .figures import plot_fronts, plot_predictions
from .report import (format_summary, format_table, machine, markdown_summary, markdown_table, story_holds,
                     summary_rows, write_docs)
from .story import describe, summarize
from .tasks import TASKS, parse_tasks

ANCHOR_FILES = ('anchor_small.pth', 'anchor_large.pth')
SETTINGS_FILE = 'quickstart.json'
SCENES = dict(train=1000, val=100)  # digit scenes written for the dense tasks (--quick too)
DESCRIBE = dict(cls={}, seg={}, det=dict(unit='', gap_unit='', fmt='.3f'), depth=dict(unit=' m', gap_unit=' m', fmt='.3f'))


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
    cfg = _configure(config, work_dir / 'stitched', epochs, limit, seed)
    checkpoint = Path(cfg.work_dir) / f'epoch_{cfg.train_cfg.max_epochs}.pth'
    logger = MMLogger.get_current_instance()
    if checkpoint.exists():
        logger.info(f'quickstart [2/3] stitches already trained, loading {checkpoint}')
        return checkpoint
    logger.info('quickstart [2/3] stitching the anchors and training all stitches')
    for anchor, path in zip(cfg.model.backbone.anchors, anchors):
        anchor.checkpoint = str(path)
    Runner.from_cfg(cfg).train()
    return checkpoint


def sweep(config: str | Path, work_dir: Path, checkpoint: Path, *, limit: int | None = None,
          latency_iters: int = 0) -> list[dict[str, Any]]:
    """Evaluate every stitch on the validation split (resuming a killed sweep of this checkpoint)."""
    MMLogger.get_current_instance().info('quickstart [3/3] evaluating every stitch on the validation split')
    cfg = _configure(config, work_dir / 'sweep', None, limit)
    cfg.load_from = str(checkpoint)
    runner = Runner.from_cfg(cfg)
    stitches = StitchSweep(runner, cfg.work_dir, latency_iters=latency_iters)
    return stitches.run(list(range(stitches.backbone.num_stitches)), resume=True)


def _epochs(quick: bool) -> dict[str, int | None]:
    return dict(anchors=30, stitches=2) if quick else dict(anchors=None, stitches=None)


def run_classification(configs: Path, work_dir: Path, *, anchors: Sequence[Path], quick: bool, seed: int,
                       budget_gflops: float | None) -> dict[str, Any]:
    """Stitches, sweep, budget pick from the trained ``anchors``: the classification stage."""
    checkpoint = train_stitches(configs / TASKS['cls'].config, work_dir, anchors, epochs=_epochs(quick)['stitches'],
                                seed=seed)
    records, metric, paths = save_results(sweep(configs / TASKS['cls'].config, work_dir, checkpoint), work_dir,
                                          TASKS['cls'].metric)
    anchor_rows = [r for r in records if r['kind'] == 'anchor']
    if budget_gflops is None:  # halfway between the anchors' costs
        budget_gflops = sum(r['flops'] for r in anchor_rows) / len(anchor_rows) / 1e9
    choice = select_stitch(records, metric=metric, max_gflops=budget_gflops)
    pick = (f'budget {budget_gflops * 1e3:.2f} MFLOPs -> stitch {choice["index"]} {choice["route"]}: '
            f'{choice[metric]:.2f} % top-1 at {choice["flops"] / 1e6:.2f} MFLOPs')
    return dict(records=records, metric=metric, plot=paths['png'], choice=choice, budget_gflops=budget_gflops,
                pick=pick, checkpoint=checkpoint)


def _check_settings(work_dir: Path, settings: dict[str, Any]) -> None:
    """A work dir keeps the settings of its first run: another setting there is an error."""
    path = work_dir / SETTINGS_FILE
    if path.exists():
        held = json.loads(path.read_text())
        diff = {k: (held.get(k), v) for k, v in settings.items() if held.get(k) != v}
        if diff:
            text = ', '.join(f'{k}={old!r} (this run: {new!r})' for k, (old, new) in diff.items())
            raise ValueError(f'--work-dir: {work_dir} holds quickstart results of other settings: {text}; '
                             'choose another --work-dir')


def _check_anchors(work_dir: Path, tasks: Sequence[str]) -> list[Path]:
    anchors = [work_dir / name for name in ANCHOR_FILES]
    missing = [str(p) for p in anchors if not p.exists()]
    if 'cls' not in tasks and missing:
        raise ValueError(f'--tasks {",".join(tasks)}: the dense tasks start from the classification stage\'s '
                         f'anchors, and {", ".join(missing)} is missing: run --tasks cls first (same --work-dir)')
    return anchors


def _scenes_written(root: Path) -> bool:
    return (root / 'coco' / 'annotations' / 'instances_val2017.json').exists()  # the last file written


def _write_scenes(root: str, counts: dict[str, int], parent: int) -> None:
    """Body of the scene-writing process: ends with the quickstart's process, as stages do."""
    exit_with_parent(parent)
    make_digit_scenes(root, num_train=counts['train'], num_val=counts['val'], seed=0)


@contextlib.contextmanager
def _scenes_meanwhile(work_dir: Path, needed: bool) -> Iterator[Callable[[], Path | None]]:
    """Write the digit scenes in a second process while the block runs (the anchors train on one
    thread: the other core would idle); yields the call that waits for them and returns their root.

    Deterministic (seed 0) and skipped when written before. A block that raises stops the writer;
    a half-written root (no last file) is written again by the next run.
    """
    root = work_dir / 'digit_scenes'
    if not needed or _scenes_written(root):
        yield lambda: root if needed else None
        return
    writer = multiprocessing.get_context('spawn').Process(
        target=_write_scenes, args=(str(root), dict(SCENES), os.getpid()), name='digit-scenes', daemon=True)
    writer.start()

    def wait() -> Path:
        writer.join()
        if writer.exitcode != 0 or not _scenes_written(root):
            raise RuntimeError(f'writing the digit scenes to {root} failed (exit code {writer.exitcode}; '
                               'its traceback is above)')
        return root

    try:
        yield wait
    finally:
        if writer.is_alive():
            writer.terminate()
            writer.join()


def check_request(*, work_dir: str | Path, tasks: Sequence[str], quick: bool, seed: int,
                  threads: int, jobs: int = 1) -> tuple[list[str], list[Path]]:
    """The checks ``run_quickstart`` makes before any work: the tasks in pipeline order and the
    anchors' paths, or a one-line ``ValueError``."""
    for field, value in (('threads', threads), ('jobs', jobs)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'{field}: expected an int >= 1, got {value!r}')
    tasks = parse_tasks(','.join(tasks))
    work_dir = Path(work_dir)
    _check_settings(work_dir, dict(quick=bool(quick), seed=seed, threads=threads))
    return tasks, _check_anchors(work_dir, tasks)


def _prepare_process(threads: int) -> None:
    """Register the upstream modules (as their tools/train.py do) and fix the thread count."""
    import mmdet.utils
    import mmpretrain.utils
    import mmseg.utils
    for package in (mmpretrain, mmseg, mmdet):
        package.utils.register_all_modules(init_default_scope=False)
    torch.set_num_threads(threads)  # float sums are split by thread, so the count fixes the numbers


def run_stage(name: str, *, configs: Path, work_dir: Path, anchors: list[Path], scenes: Path | None, quick: bool,
              seed: int, budget_gflops: float | None) -> dict[str, Any]:
    """One stage after the anchors: its records, story, whether it holds and (dense) a prediction row."""
    task = TASKS[name]
    if name == 'cls':
        result = run_classification(configs, work_dir, anchors=anchors, quick=quick, seed=seed,
                                    budget_gflops=budget_gflops)
    else:
        result = run_dense(task, configs / task.config, work_dir, anchors=anchors, scenes=scenes, seed=seed,
                           max_iters=task.quick_iters if quick else None)
    result['story'] = story = summarize(result['records'], task.metric)
    result['holds'] = story_holds(task, story)
    stitches = result.pop('sweep', None)
    if stitches is not None:
        shown = [story['small'], _middle_front(story), story['large']]
        row = predict(stitches, [r['index'] for r in shown])
        result['prediction'] = dict(row, kind=name, title=task.title.split(',')[0],
                                    names=['S' if r is story['small'] else 'L' if r is story['large']
                                           else f'stitch {r["index"]}' for r in shown])
    return result


def exit_with_parent(parent: int, interval: float = 1.0) -> None:
    """End this process once ``parent`` is no longer its parent (a killed quickstart leaves no
    stage training on); the check runs in a daemon thread."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def _stage_process(name: str, stage: dict[str, Any], threads: int, parent: int) -> dict[str, Any]:
    """``run_stage`` in a worker process, which ends itself if the quickstart's process dies."""
    exit_with_parent(parent)
    _prepare_process(threads)
    MMLogger.get_instance('snnet_mm')
    return run_stage(name, **stage)


def _run_stages(tasks: Sequence[str], stage: dict[str, Any], *, jobs: int,
                threads: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each task's stage result in pipeline order: one after the other here (``jobs=1``), or in
    ``jobs`` worker processes (started fresh, so none inherits this process's state)."""
    if jobs == 1:
        for name in tasks:
            yield name, run_stage(name, **stage)
        return
    context = multiprocessing.get_context('spawn')
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context) as pool:
        futures = {name: pool.submit(_stage_process, name, stage, threads, os.getpid()) for name in tasks}
        for name in tasks:
            yield name, futures[name].result()


def _middle_front(story: dict[str, Any]) -> dict[str, Any]:
    inner = [r for r in story['front'] if r['kind'] != 'anchor']
    return inner[len(inner) // 2] if inner else story['large']


def run_quickstart(*, configs: str | Path, work_dir: str | Path, tasks: Sequence[str] = tuple(TASKS),
                   quick: bool = False, seed: int = 0, threads: int = 1, jobs: int = 1,
                   budget_gflops: float | None = None, docs_dir: str | Path | None = None,
                   command: str = '') -> dict[str, Any]:
    """The whole quickstart (or the ``tasks`` subset); per task its records, metric and story.

    Stages already finished in ``work_dir`` (trained anchors, trained stitched models, swept
    stitches) are reused. Training is seeded and deterministic
    (``randomness=dict(seed=seed, deterministic=True)``) on ``threads`` CPU threads, so the
    same machine gives the same tables on every run. After the anchors, the stages (the
    classification stitches and each dense task) run in ``jobs`` processes at once, each on
    ``threads`` threads: the same numbers as one after the other, in less time.

    Raises:
        ValueError: Before any work: a bad ``threads``, ``jobs`` or task name, a dense task without the
            classification anchors, or a work dir holding results of other settings.
    """
    tasks, anchors = check_request(work_dir=work_dir, tasks=tasks, quick=quick, seed=seed, threads=threads,
                                   jobs=jobs)
    configs, work_dir = Path(configs), Path(work_dir)
    settings = dict(quick=bool(quick), seed=seed, threads=threads)
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / SETTINGS_FILE).write_text(json.dumps(settings))
    _prepare_process(threads)
    start = time.perf_counter()
    machine_at_start = machine()
    logger = MMLogger.get_instance('snnet_mm')
    with _scenes_meanwhile(work_dir, needed=any(name != 'cls' for name in tasks)) as written_scenes:
        if 'cls' in tasks:
            train_anchors(configs / 'digits_anchors.py', work_dir, epochs=_epochs(quick)['anchors'], seed=seed)
        scenes = written_scenes()
    stage = dict(configs=configs, work_dir=work_dir, anchors=anchors, scenes=scenes, quick=quick, seed=seed,
                 budget_gflops=budget_gflops)
    results: dict[str, dict[str, Any]] = {}
    predictions = []
    for name, result in _run_stages(tasks, stage, jobs=jobs, threads=threads):
        task, story = TASKS[name], result['story']
        logger.info(f'{task.title}:\n' + format_table(task, result['records']) + '\n(* = on the Pareto front)')
        logger.info(describe(story, task.metric, **DESCRIBE[name]))
        if 'prediction' in result:
            predictions.append(result.pop('prediction'))
        results[name] = result
    rows = summary_rows(results, TASKS)
    logger.info('\n' + format_summary(rows))
    pictures = {'fronts': plot_fronts([dict(title=TASKS[n].title, records=r['records'], metric=TASKS[n].metric,
                                            scale=TASKS[n].scale) for n, r in results.items()],
                                      work_dir / 'fronts.png')}
    if 'cls' in results:
        pictures['pareto'] = results['cls']['plot']
    if predictions:
        pictures['predictions'] = plot_predictions(predictions, work_dir / 'predictions.png')
    seconds = time.perf_counter() - start
    logger.info(f'wrote {", ".join(str(p) for p in pictures.values())} in {seconds:.0f} s '
                f'({machine_at_start} at the start)')
    if docs_dir is not None:
        pick = f'\n\nClassification: {results["cls"]["pick"]}.' if 'cls' in results else ''
        sections = [(TASKS[n].title, describe(r['story'], TASKS[n].metric, **DESCRIBE[n]) + '.\n\n'
                     + markdown_table(TASKS[n], r['records'])) for n, r in results.items()]
        docs = write_docs(docs_dir, command=command, summary=markdown_summary(rows) + pick, sections=sections,
                          pictures=pictures, seconds=seconds, machine_at_start=machine_at_start)
        logger.info(f'wrote {docs} and its pictures')
    return dict(tasks=results, summary=rows, pictures=pictures, seconds=seconds)
