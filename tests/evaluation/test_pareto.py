"""Pareto front, metric direction and budget selection on hand-made tables."""
from __future__ import annotations

import io
import json
import logging
import sys
from pathlib import Path

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


# --------------------------------------------------------------------------- diverged stitches
@pytest.mark.parametrize('bad', [float('nan'), float('inf'), float('-inf')])
@pytest.mark.parametrize('metric', ['mIoU', 'rmse'])
def test_a_diverged_stitch_is_never_on_the_front_nor_selected(metric, bad):
    """One block NaN (or an overflow) must not win a front nor a budget over a healthy stitch."""
    good = [40.0, 45.0, 50.0] if higher_is_better(metric) else [0.6, 0.5, 0.4]
    records = table(metric, [(1, good[0]), (2, bad), (3, good[1]), (4, good[2])])
    assert pareto_front(records, metric) == [True, False, True, True]
    assert select_stitch(records, max_gflops=2.5)['index'] == 0
    assert select_stitch(records, max_gflops=3.5)['index'] == 2
    assert select_stitch(records, max_gflops=10)['index'] == 3
    # Nor does it hide another stitch: a healthy one it would "dominate" stays on the front.
    assert pareto_front(table(metric, [(1, bad), (2, good[0])]), metric) == [False, True]
    with pytest.raises(ValueError, match=rf'budget: no stitch with a finite {metric} satisfies'):
        select_stitch(table(metric, [(1, bad), (2, good[0])]), max_gflops=1.5)


def test_the_table_marks_diverged_stitches_and_the_sweep_warns():
    from mmengine.logging import MMLogger

    from snnet_mm.evaluation.sweep import finalize
    logger = MMLogger.get_instance('diverged_table_test')
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        records, metric = finalize(table('mIoU', [(1, 40.0), (2, float('nan')), (3, float('inf')), (4, 50.0)]))
    finally:
        logger.removeHandler(handler)
    assert metric == 'mIoU'
    assert [r['pareto'] for r in records] == [True, False, False, True]
    assert [r.get('non_finite') for r in records] == [None, ['mIoU'], ['mIoU'], None]
    assert 'stitches [1, 2] have a non-finite mIoU (nan, inf): they diverged' in stream.getvalue()
    assert 'never on the Pareto front nor selected' in stream.getvalue()


def test_a_budget_over_a_results_file_skips_a_diverged_stitch(tmp_path):
    """``stitch=dict(max_gflops=..., results=...)`` and tools/select_stitch.py read the same table."""
    pytest.importorskip('mmengine')
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from conftest import tiny_anchor
    from tools_loader import load_tool

    from snnet_mm import SNNetv2
    anchors = [tiny_anchor(2, 32), tiny_anchor(4, 64)]
    stitches = SNNetv2(anchors=anchors).stitches
    costs = SNNetv2(anchors=anchors).stitch_costs(32)
    dear = max(range(len(stitches)), key=lambda i: costs[i].flops)
    records = [dict(index=i, route=s.route, flops=costs[i].flops, params=costs[i].params,
                    mIoU=float('nan') if i == dear else 10.0 + costs[i].flops / 1e9) for i, s in enumerate(stitches)]
    path = tmp_path / 'stitches.json'
    path.write_text(json.dumps(dict(stitches=records)))
    budget = costs[dear].flops / 1e9 + 1
    chosen = SNNetv2(anchors=anchors, stitch=dict(max_gflops=budget, results=str(path))).default_stitch
    assert chosen != dear and chosen == max((i for i in range(len(stitches)) if i != dear),
                                            key=lambda i: costs[i].flops)
    assert load_tool('select_stitch').main([str(path), '--max-gflops', str(budget)])['index'] == chosen
