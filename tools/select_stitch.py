"""Pick the best stitch of a sweep (stitches.json) that fits a budget.

    python tools/select_stitch.py work_dirs/stitch_sweep/stitches.json --max-gflops 100
    python tools/select_stitch.py stitches.json --max-latency-ms 20 --metric mIoU
"""
from __future__ import annotations

import argparse
import sys

from mmengine.logging import MMLogger

from snnet_mm.evaluation import select_stitch
from snnet_mm.stitching.sweep_records import load_table


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('results', help='stitches.json (or sweep_results.jsonl) written by tools/test_stitches.py')
    parser.add_argument('--max-gflops', type=float)
    parser.add_argument('--max-latency-ms', type=float)
    parser.add_argument('--max-params-m', type=float, help='budget in millions of parameters')
    parser.add_argument('--metric')
    args = parser.parse_args(argv)
    records = load_table(args.results)
    best = select_stitch(records, metric=args.metric, max_gflops=args.max_gflops,
                         max_latency_ms=args.max_latency_ms, max_params_m=args.max_params_m)
    MMLogger.get_instance('snnet_mm').info(
        f'stitch {best["index"]} ({best["route"]}): {best["flops"] / 1e9:.2f} GFLOPs, '
        f'{best["params"] / 1e6:.2f} M params, '
        + ', '.join(f'{k}={v}' for k, v in best.items() if k not in ('index', 'route', 'flops', 'params'))
        + f'\nuse it with: --cfg-options model.backbone.stitch={best["index"]}')
    return best


if __name__ == '__main__':
    try:
        main()
    except ValueError as exc:  # a bad input: its message, without a traceback
        sys.exit(f'select_stitch.py: error: {exc}')
