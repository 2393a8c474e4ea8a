"""See a prediction of one stitch: segmentation overlay, depth colour map, boxes and masks, or top-5.

    python tools/infer.py CONFIG CHECKPOINT IMAGE [--stitch S | --max-gflops G] --out out.png

Uses the upstream inferencers and visualizers (mmseg ``MMSegInferencer`` for segmentation and
depth, mmdet ``DetInferencer``, mmpretrain ``ImageClassificationInferencer``); only the trained
checkpoint is read. ``--stitch`` is an index or a route as printed; ``--max-gflops`` picks the most
expensive stitch within that many backbone GFLOPs. Classification also prints the top-5 classes.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import mmcv
import numpy as np
from mmengine.config import Config, DictAction


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
        cfg.model.backbone.stitch = int(args.stitch) if args.stitch.strip().isdigit() else args.stitch
    elif args.max_gflops is not None:
        cfg.model.backbone.stitch = dict(max_gflops=args.max_gflops)
    return cfg


def classify(cfg: Config, args: argparse.Namespace) -> tuple[np.ndarray, list[tuple[str, float]]]:
    from mmpretrain.apis import ImageClassificationInferencer
    inferencer = ImageClassificationInferencer(model=cfg, pretrained=args.checkpoint, device=args.device)
    (pred,) = inferencer(args.image, return_datasamples=True)
    scores = pred.pred_score
    classes = inferencer.classes or [str(i) for i in range(len(scores))]
    top5 = [(classes[i], float(scores[i])) for i in scores.argsort(descending=True)[:5].tolist()]
    (vis,) = inferencer.visualize([args.image], [pred], show_dir=str(Path(args.out).parent / '.infer_vis'))
    return vis, top5


def detect(cfg: Config, args: argparse.Namespace) -> np.ndarray:
    from mmdet.apis import DetInferencer
    inferencer = DetInferencer(model=cfg, weights=args.checkpoint, device=args.device, show_progress=False)
    result = inferencer(args.image, return_vis=True, no_save_vis=True, no_save_pred=True)
    return _single(result['visualization'])


def segment(cfg: Config, args: argparse.Namespace) -> np.ndarray:
    from mmseg.apis import MMSegInferencer
    inferencer = MMSegInferencer(model=cfg, weights=args.checkpoint, device=args.device)
    return _single(inferencer(args.image, return_vis=True)['visualization'])


def _single(visualization: np.ndarray | list[np.ndarray]) -> np.ndarray:
    # Inferencers unwrap the list for a single input (mmseg) or keep it (mmdet).
    return visualization[0] if isinstance(visualization, list) else visualization


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    cfg = configure(args)
    scope = cfg.get('default_scope')
    result: dict[str, Any] = {}
    if scope == 'mmpretrain':
        vis, result['top5'] = classify(cfg, args)
        print('\n'.join(f'{k + 1}. {name}: {score:.4f}' for k, (name, score) in enumerate(result['top5'])))
    elif scope == 'mmdet':
        vis = detect(cfg, args)
    elif scope == 'mmseg':
        vis = segment(cfg, args)
    else:
        raise ValueError(f'config: default_scope {scope!r} is none of mmseg, mmdet, mmpretrain')
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    mmcv.imwrite(np.ascontiguousarray(vis[..., ::-1]), args.out)  # visualizers draw RGB
    print(f'wrote {args.out}')
    return dict(result, out=args.out, shape=vis.shape)


if __name__ == '__main__':
    main()
