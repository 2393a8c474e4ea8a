"""Published SN-Netv2 and SN-Net v1 per-stitch result files -> our sweep records.

Reads the three formats of ``ziplab/SN-Netv2`` (and the v1 ``results/*.txt`` of ``ziplab/SN-Net``,
which have the classification format below, FLOPs included):

- segmentation results (``segmentation/results/*.json``): ``{"<official id>": {"config": ...,
  "metric": {"mIoU": 0.4557, "aAcc": ..., "mAcc": ..., "IoU.<class>": ...}}}`` (fractions);
- classification results (``classification/results/*.txt``): one JSON object per line with
  ``cfg_id``, ``acc1``, ``acc5`` (percent), ``flops``;
- FLOPs (``*/model_flops/*.json``): ``{"<official id>": flops}``.

Records carry our ``index``, the ``official_id``, ``route``, ``kind``, ``flops`` and the metrics
under the names our evaluators report (``mIoU``/``aAcc``/``mAcc`` in percent for mmseg,
``accuracy/top1``/``accuracy/top5`` for mmpretrain), so they sit next to a sweep of ours.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from ..stitching.jsonfile import read_json
from ..stitching.stitch import enumerate_stitches
from .stitch_ids import official_id_map
from .v1_ids import V1Release, v1_stitches

SEG_METRICS = ('mIoU', 'aAcc', 'mAcc')
CLS_METRICS = {'acc1': 'accuracy/top1', 'acc5': 'accuracy/top5'}


def _official_id(key: Any, path: str | Path) -> int:
    try:
        return int(key)
    except (TypeError, ValueError):
        raise ValueError(f'{path}: expected official stitch ids as keys, got {key!r}') from None


def read_seg_results(path: str | Path) -> dict[int, dict[str, float]]:
    """Official id -> ``mIoU``/``aAcc``/``mAcc`` in percent, from a segmentation results json."""
    data = read_json(path, '--seg-results')
    if not isinstance(data, dict):
        raise ValueError(f'--seg-results: {str(path)!r} holds a {type(data).__name__}, expected an object of official ids')
    out = {}
    for key, entry in data.items():
        metric = entry.get('metric') if isinstance(entry, dict) else None
        if not isinstance(metric, dict) or 'mIoU' not in metric:
            raise ValueError(f'{path}: entry {key!r} has no "metric" with "mIoU"')
        out[_official_id(key, path)] = {m: round(100 * float(metric[m]), 2) for m in SEG_METRICS if m in metric}
    return out


def read_cls_results(path: str | Path) -> tuple[dict[int, dict[str, float]], dict[int, int]]:
    """Official id -> top-1/top-5, and official id -> FLOPs, from a classification results txt."""
    metrics, flops = {}, {}
    if not Path(path).is_file():
        raise ValueError(f'--cls-results: no such file {str(path)!r}')
    for n, line in enumerate(Path(path).read_text(errors='replace').splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f'--cls-results: {path}:{n}: not a JSON line ({exc})') from None
        if not isinstance(row, dict) or 'cfg_id' not in row or 'acc1' not in row:
            raise ValueError(f'{path}:{n}: expected "cfg_id" and "acc1", got {sorted(row) if isinstance(row, dict) else row!r}')
        oid = _official_id(row['cfg_id'], path)
        metrics[oid] = {ours: float(row[theirs]) for theirs, ours in CLS_METRICS.items() if theirs in row}
        if 'flops' in row:
            flops[oid] = int(row['flops'])
    return metrics, flops


def read_flops(path: str | Path) -> dict[int, int]:
    """Official id -> FLOPs, from a ``model_flops`` json."""
    data = read_json(path, '--flops')
    if not isinstance(data, dict):
        raise ValueError(f'--flops: {str(path)!r} holds a {type(data).__name__}, expected an object of official ids')
    return {_official_id(k, path): int(v) for k, v in data.items()}


def published_records(depths: Sequence[int], metrics: dict[int, dict[str, float]],
                      flops: dict[int, int]) -> list[dict[str, Any]]:
    """Sweep records for every official id that has FLOPs and maps to one of our stitches.

    Raises:
        ValueError: An official id with results but no FLOPs, or one the official code never
            trains (its numbers would be attached to the wrong stitch).
    """
    space = enumerate_stitches(sorted(depths))
    mapping = official_id_map(depths, space.stitches)
    records = []
    for oid in sorted(set(metrics) | set(flops)):
        if mapping.get(oid) is None:
            raise ValueError(f'official id {oid}: not a trained official stitch for depths {sorted(depths)}')
        if oid not in flops:
            raise ValueError(f'official id {oid}: has results but no FLOPs; pass the FLOPs file')
        stitch = space.stitches[mapping[oid]]
        records.append(dict(index=mapping[oid], official_id=oid, route=stitch.route, kind=stitch.kind,
                            flops=flops[oid], **metrics.get(oid, {})))
    return sorted(records, key=lambda r: r['index'])


def published_v1_records(release: V1Release, metrics: dict[int, dict[str, float]],
                         flops: dict[int, int]) -> list[dict[str, Any]]:
    """Sweep records (with ``v1_id``) for every ``cfg_id`` of a published SN-Net v1 results file.

    Raises:
        ValueError: A ``cfg_id`` outside the release's v1 space, or one without FLOPs.
    """
    stages = release.stages or None
    space = enumerate_stitches(list(release.depths), mode='v1', stages=stages)
    ours = {s.segments: i for i, s in enumerate(space.stitches)}
    official = v1_stitches(release.depths, stages=release.stages)
    records = []
    for oid in sorted(set(metrics) | set(flops)):
        if not 0 <= oid < len(official):
            raise ValueError(f'cfg_id {oid}: out of range [0, {len(official)}) for the {release.code_base} space')
        if oid not in flops:
            raise ValueError(f'cfg_id {oid}: has results but no FLOPs')
        index = ours[official[oid].segments]
        stitch = space.stitches[index]
        records.append(dict(index=index, v1_id=oid, route=stitch.route, kind=stitch.kind, flops=flops[oid],
                            **metrics.get(oid, {})))
    return sorted(records, key=lambda r: r['index'])
