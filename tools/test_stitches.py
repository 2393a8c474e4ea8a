"""Evaluate every stitch of a trained model: metric, FLOPs, params, latency, Pareto front, plot.

    python tools/test_stitches.py CONFIG CHECKPOINT [--stitches all | anchors | 0,5,17]
        [--work-dir DIR] [--mode one-pass | per-stitch] [--max-branches N] [--latency-iters N] [--resume]
        [--metric NAME] [--compare PUBLISHED.json] [--quiet] [--cfg-options ...]
    torchrun --nproc_per_node 8 tools/test_stitches.py CONFIG CHECKPOINT --launcher pytorch

The config's own model and evaluator score every stitch (mIoU for mmseg, bbox/segm mAP for
mmdet, top-1/top-5 for mmpretrain, RMSE/abs_rel/delta1 for depth). --mode one-pass (default)
evaluates groups of up to --max-branches stitches (route neighbours) in one pass over the test
data: each batch is preprocessed once, the backbone runs once per input as a prefix tree of the
group's routes, then each stitch's neck/head and its own copy of the evaluator; metrics equal
--mode per-stitch, which runs the test loop once per stitch. Records are appended to
WORK_DIR/sweep_results.jsonl per finished group (per stitch with --mode per-stitch), so a kill
loses at most the group it was in; a killed sweep continues with --resume, which refuses
results of another checkpoint or other test settings. At the end WORK_DIR holds stitches.csv,
stitches.json (with a "pareto" flag) and pareto.png for every stitch in the results file. The
work dir is locked (WORK_DIR/sweep.lock) while a sweep runs in it. Stitches can be named by
official SN-Netv2 id (``--stitches official:29,official:30``); ``--compare`` draws a published
table (tools/import_published.py) next to ours in pareto_compare.png. A progress bar
with ETA runs on stderr (not with --quiet), the log keeps one line per stitch, per-class tables
go to WORK_DIR/per_class/stitch_<i>.txt, and the table and Pareto figure also go to the config's
visualizer backends (TensorBoard, W&B, ...) as sweep/<metric> per stitch index and an image.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys

from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from snnet_mm.evaluation.compare import plot_comparison, read_published
from snnet_mm.evaluation.lock import WorkDirBusy, WorkDirLock
from snnet_mm.evaluation.reporting import publish, sweep_progress
from snnet_mm.evaluation.sweep import (DEFAULT_MAX_BRANCHES, MODES, StitchSweep, check_grouping, check_iterations,
                                       save_results)
from snnet_mm.stitching.selection import parse_stitch_set


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--stitches', default='all',
                        help="'all', 'anchors' or comma-separated indices, routes or official ids (official:29)")
    parser.add_argument('--work-dir', default='work_dirs/stitch_sweep')
    parser.add_argument('--mode', choices=MODES, default='one-pass',
                        help='one-pass: groups of stitches share each pass over the data (default); '
                             'per-stitch: the test loop once per stitch')
    parser.add_argument('--max-branches', type=int, default=DEFAULT_MAX_BRANCHES,
                        help='one-pass: most stitches per group (memory, and the unit a killed sweep redoes)')
    parser.add_argument('--latency-iters', type=int, default=10,
                        help='timed passes per stitch, each stitch alone (0: skip)')
    parser.add_argument('--warmup-iters', type=int, default=2)
    parser.add_argument('--resume', action='store_true', help='keep the stitches already in the results file')
    parser.add_argument('--metric', help='metric for the Pareto front (default: the primary one)')
    parser.add_argument('--compare', help='published table (tools/import_published.py) to plot next to ours')
    parser.add_argument('--quiet', action='store_true', help='no progress bar (the log keeps a line per stitch)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv: list[str] | None = None) -> list[dict]:
    """Run the sweep; returns every stitch of the results file (with its ``pareto`` flag)."""
    args = parse_args(argv)
    check_iterations(latency_iters=args.latency_iters, warmup_iters=args.warmup_iters)
    check_grouping(args.mode, args.max_branches)
    published = read_published(args.compare) if args.compare else None  # fail before the sweep, not after
    # Only the main process locks; the lock is taken before the runner creates its log directory.
    with WorkDirLock(args.work_dir) if _launcher_rank(args.launcher) == 0 else contextlib.nullcontext():
        return _sweep(args, published)


def _launcher_rank(launcher: str) -> int:
    """This process's rank as the launcher set it (before MMEngine initialises distribution)."""
    variable = dict(pytorch='RANK', slurm='SLURM_PROCID', mpi='OMPI_COMM_WORLD_RANK').get(launcher)
    return int(os.environ.get(variable, '0')) if variable else 0


def _sweep(args: argparse.Namespace, published) -> list[dict]:
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    cfg.load_from = args.checkpoint
    cfg.launcher = args.launcher
    cfg.resume = False
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    logger = MMLogger.get_current_instance()
    sweep = StitchSweep(runner, args.work_dir, latency_iters=args.latency_iters, warmup_iters=args.warmup_iters,
                        mode=args.mode, max_branches=args.max_branches)
    stitches = parse_stitch_set(args.stitches, sweep.backbone.stitches, '--stitches')
    progress = sweep_progress(len(stitches), logger=logger, metric=args.metric, quiet=args.quiet)
    records = sweep.run(stitches, resume=args.resume, progress=progress, metric=args.metric)
    if runner.rank != 0:
        return records
    records, metric, paths = save_results(sweep.all_records(), args.work_dir, args.metric,
                                          fingerprint=sweep.fingerprint)
    earlier = sorted({r['index'] for r in records} - set(sweep.evaluated))
    logger.info(f'tables hold all {len(records)} stitches of {sweep.results_path}: evaluated now '
                f'{sweep.evaluated or "none"}, from earlier runs {earlier or "none"}')
    front = [r for r in records if r['pareto']]
    lines = [f'{r["index"]:>5}  {r["route"]:<34} {r["flops"] / 1e9:9.2f} GFLOPs  {r[metric]:8.3f}' for r in
             sorted(front, key=lambda r: r['flops'])]
    logger.info(f'Pareto front ({metric}, {len(front)} of {len(records)} stitches):\n' + '\n'.join(lines))
    publish(records, metric, paths['png'], runner.visualizer)
    logger.info(f'wrote {paths["csv"]}, {paths["json"]} and {paths["png"]}; per-class tables (if the '
                f'evaluator prints them) in {os.path.join(args.work_dir, "per_class")}')
    if published is not None:
        png = plot_comparison(records, published[0], metric, os.path.join(args.work_dir, 'pareto_compare.png'))
        logger.info(f'wrote {png}: ours vs {published[1]}')
    return records


if __name__ == '__main__':
    try:
        main()
    except (ValueError, WorkDirBusy) as exc:  # a bad input or a held work dir: its message, without a traceback
        sys.exit(f'test_stitches.py: error: {exc}')
