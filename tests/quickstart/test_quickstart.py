"""The quickstart pipeline in its reduced mode (the README's main command runs the full one)."""
from __future__ import annotations

import pytest

from .conftest import quickstart

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def result(quick_cls):
    work_dir, out = quick_cls
    return work_dir, out['tasks']['cls']


def test_table_and_plot_cover_every_stitch(result):
    work_dir, out = result
    records = out['records']
    assert len(records) == 32 and {r['index'] for r in records} == set(range(32))
    assert (work_dir / 'stitches.csv').exists()
    from PIL import Image
    with Image.open(out['plot']) as img:
        img.verify()
    assert any(r['pareto'] for r in records)


def test_the_story_holds_large_above_small_and_the_front_rises_from_small_to_large(result):
    story = result[1]['story']
    assert story['large']['accuracy/top1'] >= story['small']['accuracy/top1'] + 2, story  # issue 20: >= 2 points
    front = [(r['route'], r['accuracy/top1']) for r in story['front']]
    assert story['anchors_on_front'] and story['front_rises'], front
    others = [r for r in result[1]['records'] if r['kind'] != 'anchor']
    assert all(story['small']['flops'] < r['flops'] < story['large']['flops'] for r in others)


def test_docs_hold_the_table_and_figure_of_this_run(result):
    work_dir, out = result
    text = (work_dir / 'docs' / 'quickstart_results.md').read_text()
    assert '--quick' in text and all(f'`{r["route"]}`' in text for r in out['records'])
    assert '| classification (top-1 %) |' in text and 'yes' in text
    assert (work_dir / 'docs' / 'quickstart_pareto.png').read_bytes() == out['plot'].read_bytes()


def test_a_second_run_gives_the_same_table(result, tmp_path):
    again = quickstart(tmp_path, '--tasks', 'cls')['tasks']['cls']
    keys = ('index', 'route', 'flops', 'params', 'accuracy/top1', 'pareto')
    assert [[r[k] for k in keys] for r in again['records']] == [[r[k] for k in keys] for r in result[1]['records']]


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
