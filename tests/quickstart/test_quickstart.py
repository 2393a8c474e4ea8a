"""The quickstart pipeline in its reduced mode (the README's main command runs the full one): the
classification stage, then each dense task (digit scenes through stitched UperNet, Mask R-CNN and
DPT) from its anchors. One file, so that one test worker trains the shared ``quick_cls`` run."""
from __future__ import annotations

import shutil

import pytest

from snnet_mm.quickstart.report import story_holds
from snnet_mm.quickstart.run import ANCHOR_FILES
from snnet_mm.quickstart.tasks import TASKS

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


def test_a_second_run_in_a_worker_process_gives_the_same_table(result, tmp_path):
    for name in ANCHOR_FILES:  # the stitches and the sweep again (the anchors take 4/5 of the run)
        shutil.copyfile(result[0] / name, tmp_path / name)
    again = quickstart(tmp_path, '--tasks', 'cls', '--jobs', '2')['tasks']['cls']  # the first ran in this process
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


# Tasks whose story does not hold in --quick (issue #24; full runs of seeds 0-2 in the README's
# Results): the test below fails for them as long as this is true, and fails (XPASS) the day it holds.
STORY_DOES_NOT_HOLD = {
    'seg': 'the --quick anchors (30 epochs: S 13 %, L 41 % top-1 on cards) and 200 steps: no stitch learns '
           'which digit a card shows (mIoU ~10, S and L alike); the full run learns it',
    'det': 'the --quick anchors and 150 steps: S and L alike (4.6 mask mAP); the full run: S 25.2, L 26.5, '
           'L 0.8 below a cheaper stitch',
    'depth': 'S and L learn depth alike (RMSE 0.64 / 0.67 m): the scenes\' depth is geometry (card size, '
             'the plane), which the classification anchors do not know better in L, and 80 % of the squared '
             'error lies within 4 px of a depth edge, where both anchors\' 8-pixel patches blur alike',
}


@pytest.fixture(scope='module', params=['seg', 'det', 'depth'])
def dense(request, quick_cls):
    pytest.importorskip('mmseg')
    pytest.importorskip('mmdet')
    work_dir, _ = quick_cls
    return request.param, work_dir, quickstart(work_dir, '--tasks', request.param)


def test_every_stitch_swept_into_the_task_dir(dense):
    name, work_dir, out = dense
    records = out['tasks'][name]['records']
    assert {r['index'] for r in records} == set(range(32)) and all(TASKS[name].metric in r for r in records)
    assert (work_dir / name / 'stitches.csv').exists() and (work_dir / name / 'pareto.png').exists()
    assert (work_dir / name / 'stitched' / f'iter_{TASKS[name].quick_iters}.pth').exists()


def test_the_story_holds(dense, request):
    name, _, out = dense
    if name in STORY_DOES_NOT_HOLD:
        request.applymarker(pytest.mark.xfail(strict=True, reason=STORY_DOES_NOT_HOLD[name]))
    task, story = TASKS[name], out['tasks'][name]['story']
    front = [(r['route'], r[task.metric]) for r in story['front']]
    assert task.gap_holds(story['gap'], story['relative_gap']), (story['small'][task.metric],
                                                                 story['large'][task.metric])
    assert story['anchors_on_front'] and story['front_rises'], front
    assert story_holds(task, story)


# Every stitch's floor in --quick where a model that learns nothing stays near zero: with ViTDet's
# LayerNorm in the simple pyramid the Mask R-CNN found no card (mask mAP below 1 % for every stitch,
# --quick and full run); without it every stitch reaches 3.3-6.7 % in --quick.
LEARNED_AT_LEAST = {'det': 0.02}


def test_the_detector_learns_the_cards(dense):
    name, _, out = dense
    if name not in LEARNED_AT_LEAST:
        pytest.skip(f'{name}: no near-zero failure seen to guard (its story test says what --quick reaches)')
    metric = TASKS[name].metric
    assert min(r[metric] for r in out['tasks'][name]['records']) >= LEARNED_AT_LEAST[name]


def test_the_summary_row_says_whether_the_story_holds(dense):
    name, _, out = dense
    (row,) = out['summary']
    assert row[0] == TASKS[name].title
    holds = story_holds(TASKS[name], out['tasks'][name]['story'])
    assert out['tasks'][name]['holds'] == holds and row[-1].startswith('yes' if holds else 'NO (needs L better by')


def test_pictures_of_the_run(dense):
    name, work_dir, out = dense
    from PIL import Image
    for picture in ('fronts', 'predictions'):
        assert out['pictures'][picture] == work_dir / f'{picture}.png'
        with Image.open(out['pictures'][picture]) as img:
            img.verify()
