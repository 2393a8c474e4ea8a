"""Hierarchical-family speed ratio, measured in one run (no thresholds: machines are shared).

Prints the forward time of a stitched Swin-Ti/S network at the Swin-S anchor stitch divided by
the plain timm Swin-S with the same weights (goal <= 1.02; batch 4, 224), and the same for
ResNet-18/50 at the ResNet-50 stitch. It first counts the aten ops each forward dispatches: equal
counts mean any time difference is Python overhead or machine noise, not extra computation.

    python benchmarks/bench_families.py [--device cuda] [--reps 10]
"""
from __future__ import annotations

import argparse
import collections
import logging
import sys
from pathlib import Path

import timm
import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_backbone import paired_median_ratio  # noqa: E402
from snnet_mm.stitching import StitchedNetwork  # noqa: E402

logger = logging.getLogger('bench_families')
PAIRS = {'swin': ('swin_tiny_patch4_window7_224', 'swin_small_patch4_window7_224'),
         'resnet': ('resnet18', 'resnet50')}


class _OpCounter(TorchDispatchMode):
    """Counts the aten ops a forward dispatches (machine-independent, unlike a timing)."""

    def __init__(self) -> None:
        super().__init__()
        self.ops: collections.Counter = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops[str(func)] += 1
        return func(*args, **(kwargs or {}))


def aten_ops(model: torch.nn.Module, x: torch.Tensor) -> collections.Counter:
    with torch.inference_mode(), _OpCounter() as counter:
        model(x[:1])
    return counter.ops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--reps', type=int, default=10)
    parser.add_argument('--families', nargs='+', default=list(PAIRS), choices=list(PAIRS))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    device = torch.device(args.device)
    torch.manual_seed(0)
    x = torch.randn(args.batch, 3, 224, 224, device=device)
    for family in args.families:
        net = StitchedNetwork(list(PAIRS[family]), mode='v1').to(device).eval()
        plain = timm.create_model(PAIRS[family][1]).to(device).eval()
        plain.load_state_dict(net.anchors[-1].model.state_dict())
        net.set_stitch(net.anchor_stitch(-1))
        ours, theirs = aten_ops(net, x), aten_ops(plain, x)
        logger.info(f'{family}: aten ops per forward, anchor stitch vs timm: {sum(ours.values())} vs '
                    f'{sum(theirs.values())} ({"identical" if ours == theirs else "DIFFERENT"} op counts)')
        ratio, t_net, t_timm = paired_median_ratio(net, plain, x, args.reps)
        logger.info(f'{family}: anchor / timm forward : {ratio:.4f}  ({t_net * 1e3:.1f} ms vs '
                    f'{t_timm * 1e3:.1f} ms, {PAIRS[family][1]}, batch {args.batch}, 224, {device})')


if __name__ == '__main__':
    main()
