"""Pareto front, metric direction and budget selection on hand-made tables."""
from __future__ import annotations

import pytest

from snnet_mm.evaluation import higher_is_better, pareto_front, primary_metric, select_stitch


def table(metric: str, rows: list[tuple[float, float]]) -> list[dict]:
    return [dict(index=i, route=f'r{i}', kind='SL', flops=int(g * 1e9), params=int(g * 1e7),
                 latency_ms=g / 2, **{metric: m}) for i, (g, m) in enumerate(rows)]


def test_front_for_a_higher_is_better_metric():
    rows = [(1, 40.0), (2, 45.0), (3, 44.0), (4, 50.0), (4, 49.0), (5, 50.0)]
    assert pareto_front(table('mIoU', rows), 'mIoU') == [True, True, False, True, False, False]


def test_front_for_a_lower_is_better_metric():
    rows = [(1, 0.60), (2, 0.50), (3, 0.55), (4, 0.40)]
    assert pareto_front(table('rmse', rows), 'rmse') == [True, True, False, True]


@pytest.mark.parametrize('name, higher', [('mIoU', True), ('coco/bbox_mAP', True), ('accuracy/top1', True),
                                          ('rmse', False), ('abs_rel', False), ('d1', True), ('loss', False)])
def test_metric_direction(name, higher):
    assert higher_is_better(name) is higher


def test_primary_metric_prefers_known_names():
    assert primary_metric(['aAcc', 'mIoU', 'mAcc']) == 'mIoU'
    assert primary_metric(['accuracy/top5', 'accuracy/top1']) == 'accuracy/top1'
    assert primary_metric(['custom']) == 'custom'


def test_budget_picks_the_best_front_stitch_within_budget():
    records = table('mIoU', [(1, 40.0), (2, 45.0), (3, 44.0), (4, 50.0)])
    assert select_stitch(records, max_gflops=3.5)['index'] == 1
    assert select_stitch(records, max_gflops=10)['index'] == 3
    assert select_stitch(records, max_latency_ms=0.6)['index'] == 0
    assert select_stitch(records, max_params_m=25, max_gflops=10)['index'] == 1


def test_budget_for_a_lower_is_better_metric():
    records = table('rmse', [(1, 0.6), (2, 0.5), (4, 0.4)])
    assert select_stitch(records, max_gflops=3)['index'] == 1


@pytest.mark.parametrize('kwargs, match', [
    (dict(max_gflops=0.5), r'max_gflops: budget 0.5 is below the cheapest stitch \(1\)'),
    (dict(max_latency_ms=0.1), r'max_latency_ms: budget 0.1 is below the cheapest stitch \(0.5\)'),
    (dict(), 'budget: give at least one of'),
])
def test_budget_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        select_stitch(table('mIoU', [(1, 40.0), (2, 45.0)]), **kwargs)


def test_stitch_without_the_metric_stays_in_the_table_but_off_the_front():
    from snnet_mm.evaluation.sweep import finalize
    records = table('coco/bbox_mAP', [(1, 0.1), (2, 0.2)]) + [dict(index=2, route='r2', kind='SL', flops=5,
                                                                 params=1, latency_ms=None)]
    flagged, metric = finalize(records)
    assert metric == 'coco/bbox_mAP'
    assert [r['pareto'] for r in flagged] == [True, True, False]
