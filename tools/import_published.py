"""Import published SN-Netv2 (ziplab/SN-Netv2) or SN-Net v1 (ziplab/SN-Net) per-stitch results into our sweep format.

    python tools/import_published.py OUT.json --depths 12 24 \
        --seg-results segmentation/results/eval_single_scale_20230507_235400.json \
        --flops segmentation/model_flops/snnet_flops_setr_naive_512x512_160k_b16_ade20k_deit_3_s_l_224_snnetv2.json \
        [--source TEXT]
    python tools/import_published.py OUT.json --depths 12 24 \
        --cls-results classification/results/stitches_res_s_l.txt [--source TEXT]
    python tools/import_published.py OUT.json --v1 levit-192-256 \
        --cls-results stitching_levit/results/stitches_res.txt [--source TEXT]

``--v1 NAME`` reads an SN-Net v1 results file (``cfg_id``, ``acc1``, ``acc5``, ``flops`` per line) of
one of the published v1 models: deit-ti-s-b, swin-t-s-b, r18-r50, r18-swin-t, levit-192-256.

OUT.json holds {"source", "metric", "stitches": [...]}: one record per published stitch with our
index, the official id (``v1_id`` for v1), route, kind, FLOPs, the metrics under our evaluators' names and a Pareto
flag; ``tools/test_stitches.py ... --compare OUT.json`` plots it next to our sweep.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from snnet_mm.evaluation.sweep import finalize
from snnet_mm.interop.published import (published_records, published_v1_records, read_cls_results, read_flops,
                                        read_seg_results)
from snnet_mm.interop.v1_ids import V1_RELEASES, v1_release


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='output json (our stitches.json layout plus "source")')
    space = parser.add_mutually_exclusive_group(required=True)
    space.add_argument('--depths', type=int, nargs=2, metavar=('SMALL', 'LARGE'),
                       help='SN-Netv2: block counts of the two anchors, e.g. 12 24')
    space.add_argument('--v1', choices=sorted(V1_RELEASES), help='SN-Net v1: the published model the file is of')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--seg-results', help='segmentation results json (official id -> metric)')
    group.add_argument('--cls-results', help='classification results txt (one json per line)')
    parser.add_argument('--flops', help='model_flops json (official id -> FLOPs)')
    parser.add_argument('--source', help='where the files come from (default: their paths)')
    args = parser.parse_args(argv)
    if not (args.seg_results or args.cls_results or args.flops):
        parser.error('give --seg-results, --cls-results or --flops')
    if args.seg_results and not args.flops:
        parser.error('--seg-results needs --flops (the results file has no FLOPs)')
    if args.v1 and not args.cls_results:
        parser.error('--v1 needs --cls-results (the v1 results txt)')
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    metrics, flops = {}, {}
    if args.seg_results:
        metrics = read_seg_results(args.seg_results)
    if args.cls_results:
        metrics, flops = read_cls_results(args.cls_results)
    if args.flops:
        flops = read_flops(args.flops)
    if args.v1:
        records = published_v1_records(v1_release(args.v1), metrics, flops)
    else:
        records = published_records(args.depths, metrics, flops)
    metric = None
    if metrics:
        records, metric = finalize(records)
    source = args.source or ', '.join(p for p in (args.seg_results, args.cls_results, args.flops) if p)
    table = dict(source=source, metric=metric, stitches=records)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(table, indent=1) + '\n')
    front = sum(r.get('pareto', False) for r in records)
    print(f'wrote {args.out}: {len(records)} stitches' + (f', {front} on the {metric} Pareto front' if metric else ''))
    return table


if __name__ == '__main__':
    try:
        main()
    except ValueError as exc:  # a bad input: its message, without a traceback
        sys.exit(f'import_published.py: error: {exc}')
