"""SN-Netv2 end to end on real images (scikit-learn's handwritten digits), on a CPU:

1. cls: trains two small ViT anchors of different width from scratch (or loads them), stitches
   them, least-squares initialises the stitching layers, trains all 32 stitches and sweeps them;
2. seg, det, depth: digit scenes (2-5 digits at depths) through a stitched UperNet (mmseg), Mask
   R-CNN with the simple feature pyramid (mmdet) and DPT (mmseg), each starting from the anchors
   of step 1, trained with the sampling hook and swept;
3. prints one table per task and a summary (S, L, best stitch, front points, whether the story
   holds), writes fronts.png and predictions.png, and picks the classification stitch for a budget.

Seeded and deterministic: the same machine prints the same tables on every run (for the same
--threads; --jobs runs the stages after the anchors side by side and changes no number). Finished
stages in the work dir are reused.

    python tools/quickstart.py [--tasks cls,seg,det,depth] [--work-dir work_dirs/quickstart]
                               [--budget-gflops G] [--quick] [--seed 0] [--threads 1] [--jobs N] [--docs docs]
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

import snnet_mm.quickstart  # noqa: F401  (registers DigitsDataset)
from snnet_mm.quickstart.run import check_request, run_quickstart
from snnet_mm.quickstart.tasks import TASKS, parse_tasks

CONFIGS = Path(__file__).resolve().parents[1] / 'configs' / 'quickstart'


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count() or 1


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tasks', default=','.join(TASKS),
                        help=f'comma-separated subset of {",".join(TASKS)} (default: all; the dense tasks on digit '
                             'scenes start from the anchors of cls, from this run or an earlier one in the same '
                             '--work-dir)')
    parser.add_argument('--work-dir', default='work_dirs/quickstart')
    parser.add_argument('--budget-gflops', type=float, help='classification budget; default: halfway between the anchors')
    parser.add_argument('--quick', action='store_true', help='a reduced run (fewer epochs and iterations)')
    parser.add_argument('--seed', type=int, default=0, help='training seed (the data stay fixed)')
    parser.add_argument('--threads', type=int, default=1, help='CPU threads (the numbers depend on it)')
    parser.add_argument('--jobs', type=int, default=usable_cores(),
                        help='stages run at once after the anchors, each in its own process (default: the CPU cores '
                             f'this process may use, {usable_cores()} here; the numbers do not depend on it)')
    parser.add_argument('--docs', help='also write quickstart_results.md and its pictures here '
                                       '(the README\'s results come from `--docs docs`)')
    args = parser.parse_args(argv)
    try:  # bad input: one line, nothing written
        tasks, _ = check_request(work_dir=args.work_dir, tasks=parse_tasks(args.tasks), quick=args.quick,
                                 seed=args.seed, threads=args.threads, jobs=args.jobs)
    except ValueError as e:
        parser.error(str(e))
    command = ' '.join(['python tools/quickstart.py', *map(shlex.quote, sys.argv[1:] if argv is None else argv)])
    return run_quickstart(configs=CONFIGS, work_dir=args.work_dir, tasks=tasks, quick=args.quick, seed=args.seed,
                          threads=args.threads, jobs=args.jobs, budget_gflops=args.budget_gflops, docs_dir=args.docs,
                          command=command)


if __name__ == '__main__':
    main()
