"""Sweep speed: the prefix-tree pass vs stitch-by-stitch passes, and the sweep's per-stitch overhead.

Part 1 (prefix tree, random-init full-size DeiT3-S/L anchors, one run): the time of one pass
running all chosen stitches as a prefix tree / the sum of the stitches' passes one by one, next
to the FLOPs ratio it should approach (tree FLOPs / sum of per-stitch FLOPs, per-block costs):
  * classification at 224 (backbone with heads: logits);
  * UperNet at 512 (mmseg's ViT-UperNet: MultiLevelNeck + UPerHead on the stitched backbone),
    backbone only and whole model (neck + head still run once per stitch: the share they take of
    the stitch-by-stitch time is what no backbone sharing can gain).
Part 2 (per-stitch overhead of tools/test_stitches.py outside the forward passes, goal < 0.5 s):
the tiny UperNet config's runner, every stitch, wall time split into ``test_step`` and the rest.

    python benchmarks/bench_sweep.py [--batch 8] [--cls-stitches all] [--seg-stitches all]
        [--seg-size 512] [--device cpu|cuda] [--parts cls,seg,overhead] [--repeats 1]

Defaults are the full measurement (all 134 stitches, batch 8, UperNet at 512: for a GPU). The
README's CPU figures are shortened: ``--parts cls --cls-stitches first:16`` (batch 8) and
``--parts seg,overhead --batch 1 --seg-stitches first:16 --seg-size 256``.

Stitch sets: ``all``, or ``first:N`` (the first N stitches in route order: one sweep group of
``--max-branches N``), or indices ``0,5,17``. With ``--repeats R`` the tree pass and the one-by-one
passes alternate R times and the fastest of each counts (less noise on a shared machine). The
machine's load average is printed with the ratios.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
ANCHORS = ['deit3_small_patch16_224', 'deit3_large_patch16_224']
UPERNET = ROOT / 'configs/segmentation/upernet_snnetv2_deit3-s-l_8xb2-160k_ade20k-512x512.py'


def pick(net, spec: str) -> list[int]:
    from snnet_mm.stitching.prefix_tree import split_by_prefix
    from snnet_mm.stitching.selection import parse_stitch_set
    if spec.startswith('first:'):
        return split_by_prefix(net, range(net.num_stitches), int(spec[len('first:'):]))[0]
    return parse_stitch_set(spec, net.stitches, '--stitches')


def sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def timed(fn, device: torch.device) -> float:
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def load() -> str:
    return ' '.join(f'{v:.2f}' for v in os.getloadavg())


@torch.no_grad()
def bench_classification(args, device: torch.device) -> None:
    from snnet_mm.stitching import StitchedNetwork
    from snnet_mm.stitching.prefix_tree import PrefixTree
    net = StitchedNetwork(ANCHORS, load_weights=False).eval().to(device)
    indices = pick(net, args.cls_stitches)
    x = torch.randn(args.batch, 3, 224, 224, device=device)
    for anchor in (0, 1):  # warm-up: allocator, kernels
        net.set_stitch(net.anchor_stitch(anchor))
        net(x)
    tree = PrefixTree(net, indices)

    def one_by_one():
        for i in indices:
            net.set_stitch(i)
            net(x)

    separate = shared = float('inf')
    for _ in range(args.repeats):
        separate = min(separate, timed(one_by_one, device))
        shared = min(shared, timed(lambda: [None for _ in tree.run(x)], device))
    flops = tree.flops(224)
    print(f'classification 224, batch {args.batch}, {len(indices)} stitches ({args.cls_stitches}), {device}: '
          f'tree pass {shared:.2f} s / one by one {separate:.2f} s = {shared / separate:.3f} '
          f'(FLOPs ratio {flops.ratio:.3f}: {flops.tree / 1e9:.0f} / {flops.separate / 1e9:.0f} GFLOPs per image); '
          f'peak live activations {tree.peak_activations}; load average {load()}', flush=True)


@torch.no_grad()
def bench_upernet(args, device: torch.device) -> None:
    from mmengine.config import Config
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules

    from snnet_mm.stitching.prefix_tree import PrefixTree
    register_all_modules()
    cfg = Config.fromfile(UPERNET)
    for anchor in cfg.model.backbone.anchors:
        anchor.checkpoint = None
    model = MODELS.build(cfg.model).eval().to(device)
    net = model.backbone.net
    indices = pick(net, args.seg_stitches)
    size = args.seg_size
    x = torch.randn(args.batch, 3, size, size, device=device)

    def heads(feats):
        feats = model.neck(tuple(feats)) if model.with_neck else tuple(feats)
        return model.decode_head(feats)

    for anchor in (0, 1):  # warm-up
        net.set_stitch(net.anchor_stitch(anchor))
        heads(net(x))
    tree = PrefixTree(net, indices)
    backbone_alone = head_time = backbone_tree = whole_tree = float('inf')
    for _ in range(args.repeats):
        backbone, head = one_by_one(net, indices, x, heads, device)
        backbone_alone, head_time = min(backbone_alone, backbone), min(head_time, head)
        backbone_tree = min(backbone_tree, timed(lambda: [None for _ in tree.run(x)], device))
        whole_tree = min(whole_tree, timed(lambda: [heads(out) for _, out in tree.run(x)], device))
    whole_alone = backbone_alone + head_time
    flops = tree.flops(size)
    print(f'UperNet {size}, batch {args.batch}, {len(indices)} stitches ({args.seg_stitches}), {device}: '
          f'backbone tree {backbone_tree:.2f} s / one by one {backbone_alone:.2f} s = '
          f'{backbone_tree / backbone_alone:.3f} (FLOPs ratio {flops.ratio:.3f}); whole model tree + heads '
          f'{whole_tree:.2f} s / one by one {whole_alone:.2f} s = {whole_tree / whole_alone:.3f}; neck + head '
          f'take {head_time / whole_alone:.1%} of the one-by-one time (the floor of the whole-model ratio); '
          f'load average {load()}', flush=True)


def one_by_one(net, indices, x, heads, device) -> tuple[float, float]:
    """Seconds in the backbone and in neck + head, summed over the stitches run one by one."""
    backbone = head = 0.0
    for i in indices:
        net.set_stitch(i)
        out = []
        backbone += timed(lambda: out.append(net(x)), device)
        head += timed(lambda: heads(out.pop()), device)
    return backbone, head


def bench_overhead(config: str) -> None:
    """Per-stitch overhead of the per-stitch sweep outside ``test_step`` (tiny UperNet config)."""
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.runner import Runner

    from snnet_mm.evaluation.sweep import StitchSweep
    from snnet_mm.tiny_data import make_tiny_data
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            make_tiny_data('ade20k', 'data/tiny/ade20k')
            cfg = Config.fromfile(config)
            cfg.work_dir = os.path.join(tmp, 'work')
            runner = Runner.from_cfg(cfg)
            sweep = StitchSweep(runner, cfg.work_dir, latency_iters=0, mode='per-stitch')
            inside = []
            original = type(sweep.model).test_step

            def counted(model, data):
                start = time.perf_counter()
                out = original(model, data)
                inside[-1] += time.perf_counter() - start
                return out

            type(sweep.model).test_step = counted
            totals = []
            try:
                for index in range(sweep.backbone.num_stitches):
                    inside.append(0.0)
                    start = time.perf_counter()
                    sweep.evaluate(index)
                    totals.append(time.perf_counter() - start)
            finally:
                type(sweep.model).test_step = original
            start = time.perf_counter()
            sweep.evaluate_group(list(range(sweep.backbone.num_stitches)))
            group = time.perf_counter() - start
        finally:
            os.chdir(cwd)
    overhead = [t - f for t, f in zip(totals, inside)]
    MMLogger.get_current_instance().info(
        f'per stitch: total {sum(totals) / len(totals):.3f} s, in test_step {sum(inside) / len(inside):.3f} s, '
        f'overhead {sum(overhead) / len(overhead):.3f} s (max {max(overhead):.3f} s) over {len(totals)} stitches; '
        f'one pass for all {len(totals)}: {group:.3f} s vs {sum(totals):.3f} s stitch by stitch; load average {load()}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--cls-stitches', default='all')
    parser.add_argument('--seg-stitches', default='all')
    parser.add_argument('--seg-size', type=int, default=512)
    parser.add_argument('--parts', default='cls,seg,overhead',
                        help='comma-separated: cls and seg (part 1), overhead (part 2)')
    parser.add_argument('--repeats', type=int, default=1)
    parser.add_argument('--config', default=str(ROOT / 'configs/segmentation/upernet_snnetv2_tiny_ade20k-64x64.py'),
                        help='part 2 config')
    args = parser.parse_args()
    device = torch.device(args.device)
    parts = set(args.parts.split(','))
    if 'cls' in parts:
        bench_classification(args, device)
    if 'seg' in parts:
        bench_upernet(args, device)
    if 'overhead' in parts:
        bench_overhead(args.config)


if __name__ == '__main__':
    main()
