"""Backbone speed ratios, measured in one run (no thresholds: machines are shared and noisy).

Prints:
  * anchor / timm: forward time of the stitched network at the small-anchor stitch divided by
    the plain timm model with the same weights (goal <= 1.01; DeiT3-S, batch 8, 224).
  * stitch / exported: forward time of a stitch divided by its exported module (goal <= 1.02).
  * set_stitch: cost of switching stitches, in microseconds.
  * FLOPs table: time to count all stitches at 224 (goal < 5 s on 2 CPU cores).

Needs only torch and timm, so it also runs on a GPU machine without the OpenMMLab stack:
    python benchmarks/bench_backbone.py [--device cuda] [--reps 10]
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

import timm
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from snnet_mm.stitching import StitchedViT  # noqa: E402
from snnet_mm.stitching.cost import stitch_costs  # noqa: E402
from snnet_mm.stitching.export import ExportedStitch  # noqa: E402

logger = logging.getLogger('bench_backbone')


def sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def paired_median_ratio(fn_a, fn_b, x: torch.Tensor, reps: int, warmup: int = 2) -> tuple[float, float, float]:
    """Median of per-pair time ratios a/b (interleaved so drift hits both), and both medians."""
    device = x.device
    with torch.inference_mode():
        for _ in range(warmup):
            fn_a(x), fn_b(x)
        sync(device)
        ta, tb = [], []
        for i in range(reps):
            order = (fn_a, fn_b) if i % 2 == 0 else (fn_b, fn_a)
            for fn in order:
                start = time.perf_counter()
                fn(x)
                sync(device)
                (ta if fn is fn_a else tb).append(time.perf_counter() - start)
    ratios = [a / b for a, b in zip(ta, tb)]
    return statistics.median(ratios), statistics.median(ta), statistics.median(tb)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--reps', type=int, default=10)
    parser.add_argument('--small', default='deit3_small_patch16_224')
    parser.add_argument('--large', default='deit3_large_patch16_224')
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    device = torch.device(args.device)
    torch.manual_seed(0)

    net = StitchedViT([args.small, args.large]).to(device).eval()
    plain = timm.create_model(args.small).to(device).eval()
    plain.load_state_dict(net.anchors[0].model.state_dict())
    x = torch.randn(args.batch, 3, 224, 224, device=device)

    net.set_stitch(net.anchor_stitch(0))
    ratio, t_net, t_timm = paired_median_ratio(net, plain, x, args.reps)
    logger.info(f'anchor / timm forward      : {ratio:.4f}  ({t_net * 1e3:.1f} ms vs {t_timm * 1e3:.1f} ms, '
                f'{args.small}, batch {args.batch}, 224, {device})')

    # The cheapest stitch that crosses both anchors twice keeps the run short on a CPU.
    costs = stitch_costs(net, 224)
    mixed = min((i for i, s in enumerate(net.stitches) if len(s.segments) == 3), key=lambda i: costs[i].flops)
    net.set_stitch(mixed)
    exported = ExportedStitch.from_network(net, mixed).to(device).eval()
    ratio, t_net, t_exp = paired_median_ratio(net, exported, x, args.reps)
    logger.info(f'stitch / exported forward  : {ratio:.4f}  ({t_net * 1e3:.1f} ms vs {t_exp * 1e3:.1f} ms, '
                f'stitch {mixed} {net.stitches[mixed]})')

    n = 100_000
    start = time.perf_counter()
    for i in range(n):
        net.set_stitch(i % net.num_stitches)
    logger.info(f'set_stitch                 : {(time.perf_counter() - start) / n * 1e6:.2f} us')

    net.__dict__.pop('_cost_cache', None)
    start = time.perf_counter()
    stitch_costs(net, 224)
    logger.info(f'FLOPs table ({net.num_stitches} stitches @224): {time.perf_counter() - start:.2f} s')


if __name__ == '__main__':
    main()
