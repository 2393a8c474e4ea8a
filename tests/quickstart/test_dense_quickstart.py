"""The dense quickstart (--quick) per task: digit scenes through stitched UperNet, Mask R-CNN and
DPT, each from the classification stage's anchors (the shared ``quick_cls`` run)."""
from __future__ import annotations

import pytest

from snnet_mm.quickstart.report import story_holds
from snnet_mm.quickstart.tasks import TASKS

from .conftest import quickstart

pytestmark = pytest.mark.slow

# Tasks whose story does not hold in --quick (issue #24; full runs of seeds 0-2 in the README's
# Results): the test below fails for them as long as this is true, and fails (XPASS) the day it holds.
STORY_DOES_NOT_HOLD = {
    'seg': 'the --quick anchors (30 epochs: S 13 %, L 41 % top-1 on cards) and 200 steps: no stitch learns '
           'which digit a card shows (mIoU ~10, S and L alike); the full run learns it',
    'det': 'mask mAP below 1 for every stitch in the budget (Mask R-CNN learns no digit in 150 steps)',
    'depth': 'S and L learn depth alike (RMSE 0.64 / 0.67 m): the scenes\' depth is geometry (card size, '
             'the plane), which the classification anchors do not know better in L',
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
