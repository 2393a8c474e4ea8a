"""The Pareto stitches of a sweep, checked against the model, and the bundle manifest they make."""
from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any, Sequence

from ..deploy.manifest import FORMAT, MANIFEST, VERSION, BundleStitch
from ..stitching.pareto import higher_is_better, pareto_front, resolve_metric
from ..stitching.sweep_records import load_table, read_results
from ..stitching.stitch import Stitch


def front_records(results: str | Path, stitches: Sequence[Stitch], *, metric: str | None = None,
                  checkpoint_digest: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """The metric and the Pareto-front records of ``results``, ordered by FLOPs.

    Args:
        results: ``stitches.json`` (or ``sweep_results.jsonl``) of ``tools/test_stitches.py``.
        stitches: The model's stitches; every record must name one of them by index and route.
        metric: The metric to rank by (default: the sweep's primary metric).
        checkpoint_digest: ``sha256:...`` of the checkpoint being exported; when the results
            file holds the sweep's fingerprint, its checkpoint must be this one.

    Raises:
        ValueError: Unreadable results, results of another model or checkpoint, an unknown metric.
    """
    records = load_table(results, '--results')
    fingerprint = _fingerprint(results)
    swept = (fingerprint or {}).get('checkpoint')
    if checkpoint_digest and swept and swept != checkpoint_digest:
        raise ValueError(f'--results: {str(results)!r} was swept on checkpoint {swept}, the checkpoint exported is '
                         f'{checkpoint_digest}: these are another model\'s results; sweep this checkpoint')
    for r in records:
        index = r['index']
        if not isinstance(index, int) or not 0 <= index < len(stitches) or stitches[index].route != r['route']:
            mine = stitches[index].route if isinstance(index, int) and 0 <= index < len(stitches) else None
            raise ValueError(f'--results: {str(results)!r} holds stitch {index} as {r["route"]!r}, this model\'s '
                             f'stitch {index} is {mine!r} ({len(stitches)} stitches): these are another model\'s '
                             'results; sweep this model')
    metric = resolve_metric(records, metric)
    scored = [r for r in records if r.get(metric) is not None]
    front = [r for r, on in zip(scored, pareto_front(scored, metric)) if on]
    return metric, sorted(front, key=lambda r: (r['flops'], r['index']))


def _fingerprint(results: str | Path) -> dict[str, Any] | None:
    path = Path(results)
    if path.suffix == '.jsonl':
        header = read_results(path)[0]
        return (header or {}).get('sweep_fingerprint')
    content = json.loads(path.read_text())
    return content.get('fingerprint') if isinstance(content, dict) else None


def bundle_entry(record: dict[str, Any], metric: str, *, file: str, sha256: str, latency_ms: float,
                 parity: float) -> BundleStitch:
    """The manifest entry of one exported front stitch."""
    return BundleStitch(index=record['index'], route=record['route'], official_id=record.get('official_id'),
                        gflops=record['flops'] / 1e9, params=int(record['params']), metric=record.get(metric),
                        latency_ms=latency_ms, file=file, sha256=sha256, parity=parity)


def bundle_manifest(stitches: Sequence[BundleStitch], *, task: str, metric: str, input_size: tuple[int, int],
                    dynamic_size: bool, output_names: Sequence[str], classes: Sequence[str] | None,
                    source: dict[str, Any], export: dict[str, Any], latency: dict[str, Any]) -> dict[str, Any]:
    """``manifest.json`` of a front bundle (see ``snnet_mm.deploy.manifest``)."""
    return dict(format=FORMAT, version=VERSION, task=task,
                input=dict(name='image', layout='NCHW', channels='RGB', range=[0, 255], dtype='float32',
                           size=list(input_size), dynamic_size=dynamic_size),
                outputs=list(output_names), metric=dict(name=metric, higher_is_better=higher_is_better(metric)),
                classes=list(classes) if classes else None, source=source, export=export,
                latency=dict(latency, machine=platform.machine(), processor=platform.processor() or None),
                stitches=[s.to_json() for s in stitches])


__all__ = ['MANIFEST', 'bundle_entry', 'bundle_manifest', 'front_records']
