"""Whole-model FLOPs table: time per config (goal: 134 UperNet stitches at 512x512 < 10 s) and,
with ``--parity``, the relative difference to fvcore on three stitches (cheapest, most expensive,
one LSL) of each full-size config at its own input size (goal <= 0.1 %; slow: fvcore runs the
real model on CPU).

    python benchmarks/bench_flops.py [CONFIG ...] [--parity]
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

import torch
from mmengine.config import Config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests'))
from evaluation.test_model_flops import build, fvcore_flops, load_config, merge_stitching_layers  # noqa: E402

from snnet_mm.evaluation.model_flops import build_meta_model, default_input_size, model_costs  # noqa: E402

FULL = sorted(p for p in (ROOT / 'configs').rglob('*.py')
              if 'tiny' not in p.name and p.parent.name not in ('_base_', 'quickstart'))


def time_table(path: Path) -> None:
    cfg = Config.fromfile(path)
    importlib.import_module(f'{cfg.default_scope}.utils').register_all_modules()
    hw = default_input_size(cfg)
    wall, cpu = time.perf_counter(), time.process_time()
    model = build_meta_model(cfg)
    built_wall, built_cpu = time.perf_counter(), time.process_time()
    costs = model_costs(model, hw)
    gflops = [c.flops / 1e9 for c in costs]
    print(f'{path.name}: {len(costs)} stitches at {hw[0]}x{hw[1]}, {min(gflops):.2f}-{max(gflops):.2f} GFLOPs; '
          f'build {built_wall - wall:.1f} s wall ({built_cpu - cpu:.1f} s CPU), '
          f'count {time.perf_counter() - built_wall:.1f} s wall ({time.process_time() - built_cpu:.1f} s CPU)',
          flush=True)


def parity(path: Path) -> None:
    cfg = load_config(path)
    model = build(cfg)
    hw = default_input_size(cfg)
    costs = model_costs(model, hw)
    flops = [c.flops for c in costs]
    lsl = next((i for i, s in enumerate(model.backbone.stitches) if s.kind == 'LSL'), 1)
    merge_stitching_layers(model)  # FLOPs count stitching layers as exported
    for index in dict.fromkeys([flops.index(min(flops)), flops.index(max(flops)), lsl]):
        model.backbone.set_stitch(index)
        start = time.perf_counter()
        with torch.no_grad():
            reference = fvcore_flops(model, hw)
        print(f'{path.name} stitch {index} ({model.backbone.stitches[index].route}): ours {flops[index]}, '
              f'fvcore {reference}, diff {100 * (flops[index] - reference) / reference:+.4f} % '
              f'(fvcore {time.perf_counter() - start:.0f} s)', flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='*', type=Path,
                        help='default: the full UperNet config (timing), every full-size config (--parity)')
    parser.add_argument('--parity', action='store_true', help='compare with fvcore')
    args = parser.parse_args()
    for path in args.configs or [ROOT / 'configs/segmentation/upernet_snnetv2_deit3-s-l_8xb2-160k_ade20k-512x512.py']:
        time_table(path)
    if args.parity:
        for path in args.configs or FULL:
            parity(path)


if __name__ == '__main__':
    main()
