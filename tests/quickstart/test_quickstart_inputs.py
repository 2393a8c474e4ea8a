"""Bad input to the main command: one clear line, before any work, nothing written or overwritten."""
from __future__ import annotations

import json

import pytest

from .conftest import quickstart


def _error(capsys, work_dir, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        quickstart(work_dir, *args)
    assert exit_info.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


def test_unknown_task_is_named(capsys, tmp_path):
    line = _error(capsys, tmp_path / 'run', '--tasks', 'cls,segm')
    assert 'unknown: segm' in line and 'cls,seg,det,depth' in line
    assert not (tmp_path / 'run').exists()


def test_dense_task_without_anchors_says_which_stage_to_run(capsys, tmp_path):
    line = _error(capsys, tmp_path, '--tasks', 'seg,depth')
    assert 'anchor_small.pth' in line and '--tasks cls' in line
    assert list(tmp_path.iterdir()) == []


def test_work_dir_of_other_settings_is_refused_untouched(capsys, tmp_path):
    settings = tmp_path / 'quickstart.json'
    settings.write_text(json.dumps(dict(quick=True, seed=1, threads=1)))
    (tmp_path / 'stitches.csv').write_text('results of seed 1\n')
    line = _error(capsys, tmp_path, '--tasks', 'cls')  # --quick, seed 0
    assert 'seed=1 (this run: 0)' in line and 'another --work-dir' in line
    assert (tmp_path / 'stitches.csv').read_text() == 'results of seed 1\n'
    assert json.loads(settings.read_text())['seed'] == 1


@pytest.mark.parametrize('field, value', [('--jobs', '0'), ('--threads', '-1')])
def test_non_positive_jobs_or_threads_is_named(capsys, tmp_path, field, value):
    line = _error(capsys, tmp_path / 'run', '--tasks', 'cls', field, value)
    assert f'{field[2:]}: expected an int >= 1, got {value}' in line
    assert not (tmp_path / 'run').exists()
