"""Hierarchical-family speed ratio, measured in one run (no thresholds: machines are shared).

Prints the forward time of a stitched Swin-Ti/S network at the Swin-S anchor stitch divided by
the plain timm Swin-S with the same weights (goal <= 1.02; batch 4, 224), and the same for
ResNet-18/50 at the ResNet-50 stitch.

    python benchmarks/bench_families.py [--device cuda] [--reps 10]
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import timm
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_backbone import paired_median_ratio  # noqa: E402
from snnet_mm.stitching import StitchedNetwork  # noqa: E402

logger = logging.getLogger('bench_families')
PAIRS = {'swin': ('swin_tiny_patch4_window7_224', 'swin_small_patch4_window7_224'),
         'resnet': ('resnet18', 'resnet50')}


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
        ratio, t_net, t_timm = paired_median_ratio(net, plain, x, args.reps)
        logger.info(f'{family}: anchor / timm forward : {ratio:.4f}  ({t_net * 1e3:.1f} ms vs '
                    f'{t_timm * 1e3:.1f} ms, {PAIRS[family][1]}, batch {args.batch}, 224, {device})')


if __name__ == '__main__':
    main()
