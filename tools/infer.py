"""See a prediction of one stitch: segmentation overlay, depth colour map, boxes and masks, or top-5.

    python tools/infer.py CONFIG CHECKPOINT IMAGE [--stitch S | --max-gflops G] --out out.png

Uses the upstream inferencers and visualizers (mmseg ``MMSegInferencer`` for segmentation and
depth, mmdet ``DetInferencer``, mmpretrain ``ImageClassificationInferencer``) through
``snnet_mm.demo.inference``, as ``snnet demo`` does; only the trained checkpoint is read.
``--stitch`` is an index or a route as printed; ``--max-gflops`` picks the most expensive stitch
within that many backbone GFLOPs. Classification also prints the top-5 classes.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import mmcv
import numpy as np
from mmengine.config import Config, DictAction

from snnet_mm.demo.inference import StitchInferencer
from snnet_mm.stitching.selection import stitch_argument


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('image')
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument('--stitch', help="stitch index or route, e.g. 'S[0:2] -> L[4:24]'")
    choice.add_argument('--max-gflops', type=float, help='backbone GFLOPs budget at the anchors\' img_size')
    parser.add_argument('--out', required=True, help='image file to write')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def configure(args: argparse.Namespace) -> Config:
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.stitch is not None:
        cfg.model.backbone.stitch = stitch_argument(args.stitch)
    elif args.max_gflops is not None:
        cfg.model.backbone.stitch = dict(max_gflops=args.max_gflops)
    return cfg


def check_inputs(args: argparse.Namespace) -> None:
    """The image and the checkpoint, checked before any model is built.

    Raises:
        ValueError: A missing, empty or non-image ``image`` (or a directory), or a missing checkpoint.
    """
    image = Path(args.image)
    if not image.exists():
        raise ValueError(f'image: no such file {args.image!r}')
    if not image.is_file():
        raise ValueError(f'image: {args.image!r} is a directory, not an image file')
    data = image.read_bytes()
    if not data:
        raise ValueError(f'image: {args.image!r} is empty')
    if mmcv.imfrombytes(data) is None:
        raise ValueError(f'image: {args.image!r} is not an image (it cannot be decoded)')
    if not Path(args.checkpoint).is_file():
        raise ValueError(f'checkpoint: no such file {args.checkpoint!r}')


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    check_inputs(args)
    cfg = configure(args)
    prediction = StitchInferencer(cfg, args.checkpoint, device=args.device).predict(args.image)
    result: dict[str, Any] = {}
    if prediction.top5:
        result['top5'] = list(prediction.top5)
        print('\n'.join(f'{k + 1}. {name}: {score:.4f}' for k, (name, score) in enumerate(prediction.top5)))
    vis = prediction.picture
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    mmcv.imwrite(np.ascontiguousarray(vis[..., ::-1]), args.out)  # visualizers draw RGB
    print(f'wrote {args.out}')
    return dict(result, out=args.out, shape=vis.shape)


if __name__ == '__main__':
    try:
        main()
    except ValueError as exc:  # a bad input: its message, without a traceback
        sys.exit(f'infer.py: error: {exc}')
