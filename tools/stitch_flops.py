"""FLOPs and params of every stitch of a stitched ViT, as a table and a JSON file.

Examples:
    python tools/stitch_flops.py --anchors deit3_small_patch16_224 deit3_large_patch16_224 \
        --input-size 224 --out table.json
    python tools/stitch_flops.py configs/segmentation/upernet_snnetv2_deit3_s_l_512x512_160k_ade20k.py \
        --input-size 512

FLOPs are counted as fvcore counts them (one multiply-add = 1, attention matmuls included);
with ``--anchors`` (or a config whose backbone has no ``out_indices``) the classifier head of
the anchor each stitch ends in is included, with a dense config the backbone's feature
projections are counted instead. The JSON holds ``{"stitches": [{"index", "route", "kind",
"flops", "params"}, ...], "input_size": [h, w], "output": ...}``.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from typing import Any

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger

from snnet_mm.stitching import StitchedViT
from snnet_mm.stitching.report import cost_records, format_cost_table

BACKBONE_KEYS = ('anchors', 'mode', 'kinds', 'selected', 'out_indices', 'with_cls_token',
                 'lora_rank', 'lora_alpha', 'dynamic_img_size')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', help='config file with an SNNetv2 backbone')
    parser.add_argument('--anchors', nargs='+', help='timm model names (instead of a config)')
    parser.add_argument('--input-size', type=int, nargs='+', default=[224],
                        help='input size: one int (square) or height width (default: 224)')
    parser.add_argument('--mode', default='v2', choices=['v2', 'v1'], help='stitch space with --anchors')
    parser.add_argument('--out', help='write the table as JSON to this file')
    parser.add_argument('--weights', action='store_true',
                        help='allocate real weights (default: build on the meta device, no memory)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings')
    args = parser.parse_args(argv)
    if (args.config is None) == (args.anchors is None):
        parser.error('give either a config file or --anchors, not both')
    if len(args.input_size) not in (1, 2):
        parser.error(f'--input-size: expected 1 or 2 ints, got {args.input_size}')
    return args


def backbone_kwargs(cfg: Config) -> dict[str, Any]:
    """The stitched network's arguments from a config's SNNetv2 backbone."""
    model = cfg.get('model', {})
    backbone = model.get('backbone', model)
    if backbone.get('type') != 'SNNetv2':
        raise ValueError(f"model.backbone.type: expected 'SNNetv2', got {backbone.get('type')!r}")
    kwargs = {k: copy.deepcopy(backbone[k]) for k in BACKBONE_KEYS if k in backbone}
    if kwargs.get('dynamic_img_size') is None:
        kwargs['dynamic_img_size'] = kwargs.get('out_indices') is not None
    return kwargs


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    args = parse_args(argv)
    logger = MMLogger.get_instance('snnet_mm', log_level='INFO')
    if args.config:
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        kwargs = backbone_kwargs(cfg)
    else:
        kwargs = dict(anchors=list(args.anchors), mode=args.mode)
    if not args.weights:
        # Structure only: checkpoints are not needed to count FLOPs.
        kwargs['anchors'] = [a if isinstance(a, str) else {**a, 'checkpoint': None} for a in kwargs['anchors']]
    size = tuple(args.input_size) if len(args.input_size) == 2 else args.input_size[0]
    start = time.perf_counter()
    with torch.device('cpu' if args.weights else 'meta'):
        net = StitchedViT(**kwargs)
    built = time.perf_counter()
    records = cost_records(net, size)
    counted = time.perf_counter()
    logger.info('\n' + format_cost_table(records))
    logger.info(f'{len(records)} stitches at input {size}: {records[0]["flops"] / 1e9:.2f} to '
                f'{max(r["flops"] for r in records) / 1e9:.2f} GFLOPs; built in {built - start:.1f} s, '
                f'counted in {counted - built:.2f} s')
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        hw = [size, size] if isinstance(size, int) else list(size)
        with open(args.out, 'w') as f:
            json.dump(dict(stitches=records, input_size=hw, output=net.output), f, indent=1)
        logger.info(f'wrote {args.out}')
    return records


if __name__ == '__main__':
    sys.exit(main() and 0)
