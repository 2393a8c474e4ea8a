"""Run an exported front of stitches with ONNX Runtime, without PyTorch.

``tools/export_stitch.py CONFIG CKPT --format onnx --stitch front --results stitches.json --out DIR``
writes a front bundle: one ONNX file per Pareto stitch and ``manifest.json``. This package reads
it with numpy and onnxruntime only (install them with ``pip install 'snnet_mm[deploy]'``)::

    from snnet_mm.deploy import FrontBundle
    stitch = FrontBundle('DIR').pick(max_latency_ms=20)
    outputs = stitch(images)  # float32 RGB in 0..255, NCHW

Importing it imports neither torch nor onnxruntime; onnxruntime loads when a bundle is opened.
"""
from .bundle import FrontBundle, StitchSession
from .manifest import MANIFEST, BundleError, BundleStitch, file_sha256, read_manifest
from .runtime import import_onnxruntime

__all__ = ['MANIFEST', 'BundleError', 'BundleStitch', 'FrontBundle', 'StitchSession', 'file_sha256',
           'import_onnxruntime', 'read_manifest']
