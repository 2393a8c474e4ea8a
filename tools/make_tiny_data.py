"""Write a tiny dataset in an upstream layout (learnable coloured shapes, or digit scenes), for CPU runs.

    python tools/make_tiny_data.py ade20k data/tiny/ade20k
    python tools/make_tiny_data.py coco_stuff10k data/tiny/coco_stuff10k
    python tools/make_tiny_data.py coco data/tiny/coco
    python tools/make_tiny_data.py nyu data/tiny/nyu
    python tools/make_tiny_data.py imagenet data/tiny/imagenet
    python tools/make_tiny_data.py digit-scenes data/digit_scenes   # ade20k/, coco/ and nyu/ of one scene set
"""
from __future__ import annotations

import argparse

from mmengine.logging import MMLogger

from snnet_mm.tiny_data import MAKERS, make_tiny_data


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('kind', choices=sorted(MAKERS))
    parser.add_argument('out_dir')
    parser.add_argument('--num-train', type=int, help="training images (default: the dataset kind's)")
    parser.add_argument('--num-val', type=int, help="validation images (default: the dataset kind's)")
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    counts = {k: v for k, v in (('num_train', args.num_train), ('num_val', args.num_val)) if v is not None}
    root = make_tiny_data(args.kind, args.out_dir, seed=args.seed, **counts)
    MMLogger.get_instance('snnet_mm').info(f'wrote {args.kind} data to {root}')


if __name__ == '__main__':
    main()
