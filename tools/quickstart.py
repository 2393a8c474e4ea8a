"""SN-Netv2 end to end on real images (scikit-learn's handwritten digits), on a CPU:

1. trains two small ViT anchors of different width and depth from scratch (or loads them);
2. stitches them, least-squares initialises the stitching layers and trains all 32 stitches;
3. evaluates every stitch, prints the table with the Pareto front, writes pareto.png, and picks
   the stitch for a FLOPs budget.

Seeded and deterministic: the same machine prints the same table on every run.

    python tools/quickstart.py [--work-dir work_dirs/quickstart] [--budget-gflops G] [--quick]
                               [--seed 0] [--threads 1] [--docs docs]
"""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import snnet_mm.quickstart  # noqa: F401  (registers DigitsDataset)
from snnet_mm.quickstart.run import run_quickstart

CONFIGS = Path(__file__).resolve().parents[1] / 'configs' / 'quickstart'


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/quickstart')
    parser.add_argument('--budget-gflops', type=float, help='default: halfway between the anchors')
    parser.add_argument('--quick', action='store_true', help='a reduced run (few epochs, fewer images)')
    parser.add_argument('--seed', type=int, default=0, help='training seed (the data split stays fixed)')
    parser.add_argument('--threads', type=int, default=1, help='CPU threads (the numbers depend on it)')
    parser.add_argument('--docs', help='also write quickstart_results.md and quickstart_pareto.png here '
                                       '(the README\'s results come from `--docs docs`)')
    args = parser.parse_args(argv)
    quick = dict(anchor_epochs=30, stitch_epochs=2) if args.quick else {}
    command = ' '.join(['python tools/quickstart.py', *map(shlex.quote, sys.argv[1:] if argv is None else argv)])
    return run_quickstart(anchors_config=CONFIGS / 'digits_anchors.py', stitch_config=CONFIGS / 'digits_snnetv2.py',
                          work_dir=args.work_dir, budget_gflops=args.budget_gflops, seed=args.seed,
                          threads=args.threads, docs_dir=args.docs, command=command, **quick)


if __name__ == '__main__':
    main()
