"""Run an image through the stitch of a front bundle that fits a budget, with ONNX Runtime only.

    python tools/run_onnx.py BUNDLE IMAGE --max-latency-ms 20
    python tools/run_onnx.py BUNDLE IMAGE --max-gflops 10 --min-metric 40

BUNDLE is a folder written by ``tools/export_stitch.py --format onnx --stitch front``. Needs
numpy, onnxruntime and (for image files; a ``.npy`` HxWx3 RGB array needs nothing) Pillow:
``pip install 'snnet_mm[deploy]'``. PyTorch is not imported. IMAGE is resized to the bundle's
input size (kept as it is for a bundle exported with ``--dynamic-size``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from snnet_mm.deploy import FrontBundle
from snnet_mm.deploy.predict import describe


def load_image(path: str, size: tuple[int, int] | None) -> np.ndarray:
    """``path`` as a (1, 3, H, W) float32 RGB batch in 0..255, resized to ``size`` (H, W) if given."""
    if not Path(path).is_file():
        raise ValueError(f'IMAGE: no such file {path!r}')
    if path.endswith('.npy'):
        array = np.load(path, allow_pickle=False)
        if array.ndim != 3 or array.shape[2] != 3:
            raise ValueError(f'IMAGE: {path!r} holds an array of shape {array.shape}; expected H x W x 3 (RGB)')
        image = None
    else:
        try:
            from PIL import Image
        except ImportError:
            raise ImportError("IMAGE: reading image files needs Pillow (pip install 'snnet_mm[deploy]'); "
                              'a .npy H x W x 3 RGB array needs nothing') from None
        image = Image.open(path).convert('RGB')
        array = None
    if size is not None:
        if image is None:
            from PIL import Image
            image = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
        image = image.resize((size[1], size[0]), Image.BILINEAR)
    if image is not None:
        array = np.asarray(image)
    return np.ascontiguousarray(array.astype(np.float32).transpose(2, 0, 1)[None])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('bundle', help='front bundle folder (holding manifest.json)')
    parser.add_argument('image', help='image file, or a .npy H x W x 3 RGB array')
    parser.add_argument('--max-latency-ms', type=float, help='budget: onnxruntime ms per image (as measured on export)')
    parser.add_argument('--max-gflops', type=float, help='budget: GFLOPs')
    parser.add_argument('--min-metric', type=float, help="quality floor in the sweep's metric")
    parser.add_argument('--threads', type=int, help='onnxruntime intra-op threads')
    parser.add_argument('--top', type=int, default=5, help='classes to print')
    args = parser.parse_args(argv)
    bundle = FrontBundle(args.bundle, threads=args.threads)
    size = None if bundle.manifest['input']['dynamic_size'] else bundle.input_size
    images = load_image(args.image, size)
    session = bundle.pick(max_gflops=args.max_gflops, max_latency_ms=args.max_latency_ms, min_metric=args.min_metric)
    s = session.stitch
    outputs = session(images)
    prediction = describe(bundle.task, outputs, classes=bundle.classes, top=args.top)
    metric = 'n/a' if s.metric is None else f'{s.metric:.4g}'
    print(f'stitch {s.index} ({s.route}): {s.gflops:.4g} GFLOPs, {bundle.metric} {metric}, '
          f'{s.latency_ms:.3g} ms on export ({s.file})\nprediction: {prediction}')
    return dict(stitch=s.to_json(), prediction=prediction, outputs=outputs)


if __name__ == '__main__':
    try:
        main()
    except (ValueError, ImportError) as exc:  # a bad input or a missing package: the message, no traceback
        sys.exit(f'run_onnx.py: error: {exc}')
