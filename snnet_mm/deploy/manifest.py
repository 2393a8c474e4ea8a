"""The front bundle's ``manifest.json``: what it holds, read and checked in one place.

A bundle is a folder with one ONNX file per stitch of a Pareto front and ``manifest.json``::

    {"format": "snnet_mm.front_bundle", "version": 1, "task": "classification",
     "input": {"name": "image", "size": [224, 224], "dynamic_size": false, ...},
     "outputs": ["logits"], "metric": {"name": "accuracy/top1", "higher_is_better": true},
     "classes": [...] or null, "opset": 18, "latency": {"batch": 1, "threads": 2, ...},
     "stitches": [{"index": 0, "route": "S[0:12]", "official_id": 0, "gflops": 4.6,
                   "params": 22050664, "metric": 82.9, "latency_ms": 9.1,
                   "file": "stitch_000.onnx", "sha256": "...", "parity": 3e-07}, ...]}

``parity`` is the largest difference between onnxruntime's and PyTorch's outputs relative to
the largest PyTorch output, measured by the exporter; ``latency_ms`` is onnxruntime's median
time at batch 1 on the exporting machine.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

FORMAT = 'snnet_mm.front_bundle'
VERSION = 1
MANIFEST = 'manifest.json'
TASKS = ('classification', 'segmentation', 'depth', 'detection_features')


class BundleError(ValueError):
    """A front bundle that cannot be used as it is: missing, altered or malformed."""


@dataclass(frozen=True)
class BundleStitch:
    """One stitch of a front bundle, as the manifest describes it.

    Attributes:
        index: The stitch's index in the trained model's stitch space.
        route: Its route as printed, e.g. ``'S[0:2] -> L[4:24]'``.
        official_id: Its id in the official SN-Netv2 code, where it has one.
        gflops: Whole-model GFLOPs the sweep counted.
        params: Whole-model parameters the sweep counted.
        metric: The sweep's metric for it (``None`` if the sweep reported none).
        latency_ms: onnxruntime's median latency at batch 1 on the exporting machine.
        file: The ONNX file's name inside the bundle.
        sha256: The file's SHA-256 (hex).
        parity: Largest onnxruntime / PyTorch output difference relative to the largest output.
    """

    index: int
    route: str
    official_id: int | None
    gflops: float
    params: int
    metric: float | None
    latency_ms: float
    file: str
    sha256: str
    parity: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: Any, where: str) -> 'BundleStitch':
        """The entry ``value`` checked field by field (``where`` names it in errors)."""
        if not isinstance(value, dict):
            raise BundleError(f'{where}: expected an object, got {json.dumps(value)[:80]}')
        checks = dict(index=_is_int, route=_is_str, official_id=lambda v: v is None or _is_int(v),
                      gflops=_is_number, params=_is_int, metric=lambda v: v is None or _is_number(v),
                      latency_ms=_is_number, file=_is_plain_name, sha256=_is_sha256, parity=_is_number)
        for key, check in checks.items():
            if key not in value:
                raise BundleError(f'{where}: lacks {key!r}')
            if not check(value[key]):
                raise BundleError(f'{where}.{key}: unexpected value {json.dumps(value[key])[:80]}')
        return cls(**{k: value[k] for k in checks})


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_str(v: Any) -> bool:
    return isinstance(v, str) and bool(v)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_plain_name(v: Any) -> bool:
    """A file name inside the bundle folder (no directory part: nothing outside is ever read)."""
    return _is_str(v) and Path(v).name == v and v not in ('.', '..')


def _is_sha256(v: Any) -> bool:
    return isinstance(v, str) and len(v) == 64 and all(c in '0123456789abcdef' for c in v)


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's content, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(directory: str | Path) -> tuple[dict[str, Any], list[BundleStitch]]:
    """The manifest of the bundle in ``directory`` and its stitches, checked (files not read).

    Raises:
        BundleError: No such folder, no manifest, or a manifest of another format, version or
            shape, naming the field.
    """
    directory = Path(directory)
    path = directory / MANIFEST
    if not directory.is_dir():
        raise BundleError(f'bundle: no such folder {str(directory)!r}')
    if not path.is_file():
        raise BundleError(f'bundle: {str(directory)!r} holds no {MANIFEST}; export a front bundle with '
                          'tools/export_stitch.py --format onnx --stitch front')
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f'bundle: {str(path)!r} is not JSON ({exc})') from None
    if not isinstance(manifest, dict) or manifest.get('format') != FORMAT:
        raise BundleError(f'bundle: {str(path)!r} is not a {FORMAT} manifest')
    if manifest.get('version') != VERSION:
        raise BundleError(f'bundle: {str(path)!r} has version {manifest.get("version")!r}; this snnet_mm reads '
                          f'version {VERSION}')
    if manifest.get('task') not in TASKS:
        raise BundleError(f'bundle: {str(path)!r}: task {manifest.get("task")!r} is not one of {TASKS}')
    entries = manifest.get('stitches')
    if not isinstance(entries, list) or not entries:
        raise BundleError(f'bundle: {str(path)!r} lists no stitches')
    _check_fields(manifest, str(path))
    stitches = [BundleStitch.from_json(e, f'{MANIFEST}: stitches[{i}]') for i, e in enumerate(entries)]
    names = [s.file for s in stitches]
    if len(set(names)) != len(names):
        raise BundleError(f'bundle: {str(path)!r} lists a file twice: {names}')
    return manifest, stitches


def _check_fields(manifest: dict[str, Any], where: str) -> None:
    """The manifest's input, outputs and metric descriptions have the shape the runtime reads."""
    image = manifest.get('input')
    size = image.get('size') if isinstance(image, dict) else None
    if not (isinstance(image, dict) and _is_str(image.get('name')) and isinstance(size, list) and len(size) == 2
            and all(_is_int(v) and v > 0 for v in size) and isinstance(image.get('dynamic_size'), bool)):
        raise BundleError(f'bundle: {where}: input: expected {{"name", "size": [H, W], "dynamic_size"}}, got '
                          f'{json.dumps(image)[:120]}')
    outputs = manifest.get('outputs')
    if not (isinstance(outputs, list) and outputs and all(_is_str(o) for o in outputs)):
        raise BundleError(f'bundle: {where}: outputs: expected a list of names, got {json.dumps(outputs)[:120]}')
    metric = manifest.get('metric')
    if not (isinstance(metric, dict) and _is_str(metric.get('name'))
            and isinstance(metric.get('higher_is_better'), bool)):
        raise BundleError(f'bundle: {where}: metric: expected {{"name", "higher_is_better"}}, got '
                          f'{json.dumps(metric)[:120]}')
