"""FLOPs and params of every stitch, as a table and a JSON file.

Examples:
    python tools/stitch_flops.py configs/segmentation/upernet_snnetv2_deit3-s-l_8xb2-160k_ade20k-512x512.py
    python tools/stitch_flops.py CONFIG --input-size 480 640 --out table.json
    python tools/stitch_flops.py --anchors deit3_small_patch16_224 deit3_large_patch16_224 --input-size 224

With a config, ``flops`` is the whole model as ``model(inputs, mode='tensor')`` runs it for one
image (backbone, neck and the heads that forward runs; auxiliary heads excluded), counted as
fvcore counts (one multiply-add = 1 FLOP) on the meta device: no checkpoint, dataset or memory
needed. ``backbone_flops`` is the backbone's part, ``params`` the whole model's. The input size
defaults to the config's test crop or resize. With ``--anchors`` the stitched ViT alone is
counted (the head of the anchor each stitch ends in). The JSON holds ``{"stitches": [{"index",
"route", "kind", "flops", "backbone_flops", "params"}, ...], "input_size": [h, w]}``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger

from snnet_mm.engine import find_stitched_backbone
from snnet_mm.evaluation.model_flops import build_meta_model, default_input_size, model_costs
from snnet_mm.evaluation.reporting import progress_bar
from snnet_mm.stitching import StitchedViT
from snnet_mm.stitching.report import cost_records, format_cost_table


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', help='config file with an SNNetv2 backbone')
    parser.add_argument('--anchors', nargs='+', help='timm model names (instead of a config)')
    parser.add_argument('--input-size', type=int, nargs='+',
                        help='input size: one int (square) or height width (default: the config\'s test '
                             'crop or resize; 224 with --anchors)')
    parser.add_argument('--mode', default='v2', choices=['v2', 'v1'], help='stitch space with --anchors')
    parser.add_argument('--out', help='write the table as JSON to this file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    parser.add_argument('--quiet', action='store_true', help='no progress bar')
    args = parser.parse_args(argv)
    if (args.config is None) == (args.anchors is None):
        parser.error('give either a config file or --anchors, not both')
    if args.input_size is not None and len(args.input_size) not in (1, 2):
        parser.error(f'--input-size: expected 1 or 2 ints, got {args.input_size}')
    return args


def config_records(config: str, cfg_options: dict | None, input_size: list[int] | None, *, quiet: bool = False):
    """Whole-model records of every stitch of a config's model, and the input size."""
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    backbone = cfg.get('model', {}).get('backbone', {})
    if backbone.get('type') != 'SNNetv2':
        raise ValueError(f"model.backbone.type: expected 'SNNetv2', got {backbone.get('type')!r}")
    hw = default_input_size(cfg) if input_size is None else _hw(input_size)
    start = time.perf_counter()
    model = build_meta_model(cfg)
    built = time.perf_counter()
    num_stitches = find_stitched_backbone(model).num_stitches
    costs = model_costs(model, hw, progress=progress_bar(num_stitches, quiet=quiet))
    MMLogger.get_instance('snnet_mm').info(f'model built in {built - start:.1f} s, '
                                           f'{len(costs)} stitches counted in {time.perf_counter() - built:.1f} s')
    stitches = find_stitched_backbone(model).stitches
    return [dict(index=i, route=s.route, kind=s.kind, flops=c.flops, backbone_flops=c.backbone_flops,
                 params=c.params) for i, (s, c) in enumerate(zip(stitches, costs))], hw


def anchor_records(anchors: list[str], mode: str, input_size: list[int] | None):
    """Records of the stitched ViT alone (logits of the ending anchor)."""
    hw = _hw(input_size or [224])
    with torch.device('meta'):
        net = StitchedViT(anchors, mode=mode)
    return [dict(r, backbone_flops=r['flops']) for r in cost_records(net, hw)], hw


def _hw(size: list[int]) -> tuple[int, int]:
    return (size[0], size[0]) if len(size) == 1 else (size[0], size[1])


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    args = parse_args(argv)
    logger = MMLogger.get_instance('snnet_mm', log_level='INFO')
    start = time.perf_counter()
    if args.config:
        records, hw = config_records(args.config, args.cfg_options, args.input_size, quiet=args.quiet)
    else:
        records, hw = anchor_records(list(args.anchors), args.mode, args.input_size)
    elapsed = time.perf_counter() - start
    logger.info('\n' + format_cost_table(records))
    gflops = [r['flops'] / 1e9 for r in records]
    logger.info(f'{len(records)} stitches at {hw[0]}x{hw[1]}: {min(gflops):.2f} to {max(gflops):.2f} GFLOPs '
                f'({elapsed:.1f} s)')
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(dict(stitches=records, input_size=list(hw)), f, indent=1)
        logger.info(f'wrote {args.out}')
    return records


if __name__ == '__main__':
    sys.exit(main() and 0)
