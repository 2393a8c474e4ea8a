"""Pareto front of metric vs GFLOPs and stitch selection for a budget."""
from __future__ import annotations

import math
import re
from typing import Any, Sequence

from ..utils.checks import check_number

# Metric names (or their last path component) where lower is better.
_LOWER_IS_BETTER = re.compile(r'(^|/)(rmse|rmse_log|abs_rel|sq_rel|log10|silog|loss\w*|err\w*)$', re.I)
# Preferred primary metrics, in order, when the evaluator reports several.
_PRIMARY = ('mIoU', 'coco/bbox_mAP', 'coco/segm_mAP', 'bbox_mAP', 'accuracy/top1', 'rmse', 'aAcc')


RECORD_KEYS = frozenset({'index', 'route', 'kind', 'flops', 'backbone_flops', 'params', 'latency_ms',
                         'pareto', 'non_finite', 'checkpoint', 'official_id', 'v1_id', 'pass_wall_s',
                         'pass_stitches'})


def metric_names(records: Sequence[dict[str, Any]]) -> list[str]:
    """Metric names reported by any record (a stitch's evaluation may report none), in order."""
    return list(dict.fromkeys(k for r in records for k in r if k not in RECORD_KEYS))


def higher_is_better(metric: str) -> bool:
    """Direction of a metric from its name (RMSE, abs_rel, losses, errors: lower is better)."""
    return _LOWER_IS_BETTER.search(metric) is None


def primary_metric(metrics: Sequence[str]) -> str:
    """The metric the front is drawn for: the first known primary metric, else the first one."""
    for name in _PRIMARY:
        if name in metrics:
            return name
    if not metrics:
        raise ValueError('metrics: the evaluator reported no metric')
    return metrics[0]


def resolve_metric(records: Sequence[dict[str, Any]], metric: str | None) -> str:
    """``metric`` if some record reports it, the primary metric when None, else a ValueError."""
    names = metric_names(records)
    if metric is None:
        return primary_metric(names)
    if metric not in names:
        raise ValueError(f'metric: {metric!r} is not among the reported metrics {names}')
    return metric


def is_finite_number(value: Any) -> bool:
    """A real number that is neither NaN nor infinite (a diverged stitch reports NaN or inf)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def scored_records(records: Sequence[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """The records with a finite value of ``metric`` (the only ones a front or a budget may pick)."""
    return [r for r in records if is_finite_number(r.get(metric))]


def pareto_front(records: Sequence[dict[str, Any]], metric: str, *, cost: str = 'flops') -> list[bool]:
    """For each record, whether no other record is at most as costly and strictly better, or
    strictly cheaper and at least as good. A record whose metric or cost is not a finite number
    (NaN, inf, missing) is never on the front and dominates nothing."""
    sign = 1.0 if higher_is_better(metric) else -1.0
    valid = [is_finite_number(r.get(metric)) and is_finite_number(r.get(cost)) for r in records]
    points = [(r[cost], sign * r[metric]) for r, ok in zip(records, valid) if ok]
    return [ok and not any((c2 <= r[cost] and m2 >= sign * r[metric]) and (c2 < r[cost] or m2 > sign * r[metric])
                           for c2, m2 in points)
            for r, ok in zip(records, valid)]


BUDGETS = {'max_gflops': ('flops', 1e9), 'max_latency_ms': ('latency_ms', 1.0), 'max_params_m': ('params', 1e6)}


def select_stitch(records: Sequence[dict[str, Any]], *, metric: str | None = None,
                  max_gflops: float | None = None, max_latency_ms: float | None = None,
                  max_params_m: float | None = None) -> dict[str, Any]:
    """The best stitch (by ``metric``) on the Pareto front whose costs fit every given budget.

    A stitch whose metric is NaN or infinite (it diverged) is never selected.

    Args:
        records: Sweep records (``index``, ``flops``, ``params``, ``latency_ms``, metrics).
        metric: Metric to maximise (or minimise, by its name); default: the primary metric.
        max_gflops: Budget in GFLOPs.
        max_latency_ms: Budget in milliseconds per image.
        max_params_m: Budget in millions of parameters.

    Raises:
        ValueError: An unknown metric, no budget, a budget that is not a finite number >= 0, or
            a budget below the cheapest stitch (naming it).
    """
    if not records:
        raise ValueError('records: the sweep result holds no stitch')
    metric = resolve_metric(records, metric)
    budgets = dict(max_gflops=max_gflops, max_latency_ms=max_latency_ms, max_params_m=max_params_m)
    budgets = {k: v for k, v in budgets.items() if v is not None}
    if not budgets:
        raise ValueError(f'budget: give at least one of {sorted(BUDGETS)}')
    for name, limit in budgets.items():
        check_number(limit, name, low=0, finite=True)
    for name, limit in budgets.items():
        key, scale = BUDGETS[name]
        if any(r.get(key) is None for r in records):
            raise ValueError(f'{name}: the sweep recorded no {key} (run it with latency measurement)')
        cheapest = min(r[key] for r in records) / scale
        if limit < cheapest:
            raise ValueError(f'{name}: budget {limit} is below the cheapest stitch ({cheapest:.4g})')
    scored = scored_records(records, metric)

    def fits_budget(r: dict[str, Any]) -> bool:
        return all(r[BUDGETS[n][0]] / BUDGETS[n][1] <= v for n, v in budgets.items())

    front = [r for r, on in zip(scored, pareto_front(scored, metric)) if on]
    fits = [r for r in front if fits_budget(r)]
    if not fits:  # a latency or params budget can exclude the whole FLOPs front
        fits = [r for r in scored if fits_budget(r)]
    if not fits:
        raise ValueError(f'budget: no stitch with a finite {metric} satisfies all of {budgets} at once')
    sign = 1.0 if higher_is_better(metric) else -1.0
    return max(fits, key=lambda r: (sign * r[metric], -r['flops']))
