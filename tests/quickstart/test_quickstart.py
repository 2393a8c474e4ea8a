"""The quickstart pipeline in its reduced mode (the README's main command runs the full one)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip('mmpretrain')
pytest.importorskip('sklearn')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools_loader import load_tool  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def result(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('quickstart')
    return work_dir, load_tool('quickstart').main(['--work-dir', str(work_dir), '--quick'])


def test_table_and_plot_cover_every_stitch(result):
    work_dir, out = result
    records = out['records']
    assert len(records) == 32 and {r['index'] for r in records} == set(range(32))
    assert (work_dir / 'stitches.csv').exists()
    from PIL import Image
    with Image.open(out['plot']) as img:
        img.verify()
    assert any(r['pareto'] for r in records)


def test_anchors_beat_chance_and_stitches_span_their_costs(result):
    records = result[1]['records']
    small, large = sorted((r for r in records if r['kind'] == 'anchor'), key=lambda r: r['flops'])
    assert small['accuracy/top1'] > 40 and large['accuracy/top1'] > 40  # chance: 10 %
    others = [r for r in records if r['kind'] != 'anchor']
    assert all(small['flops'] < r['flops'] < large['flops'] * 1.01 for r in others)


def test_budget_pick_fits_the_budget(result):
    out = result[1]
    assert out['choice']['flops'] / 1e9 <= out['budget_gflops'] and out['choice']['pareto']


def test_second_run_reuses_the_trained_anchors(result):
    work_dir, _ = result
    anchors = [work_dir / 'anchor_small.pth', work_dir / 'anchor_large.pth']
    stamps = [p.stat().st_mtime for p in anchors]
    from snnet_mm.quickstart.run import train_anchors
    assert train_anchors('unused-config.py', work_dir) == anchors
    assert [p.stat().st_mtime for p in anchors] == stamps
