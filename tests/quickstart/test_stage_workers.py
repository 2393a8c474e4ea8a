"""The quickstart's worker processes: a stage worker whose quickstart process dies ends itself; the
scene writer that runs beside the anchors writes the same scenes and stops with a failing stage."""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The "quickstart": starts a stage worker the way run.py does (spawned, watching its parent), prints
# the worker's pid and waits; the worker would sleep for a minute.
PARENT = '''
import multiprocessing, os, sys, time
from snnet_mm.quickstart.run import exit_with_parent

def stage(parent):
    exit_with_parent(parent, interval=0.1)
    time.sleep(60)

if __name__ == '__main__':
    worker = multiprocessing.get_context('spawn').Process(target=stage, args=(os.getpid(),))
    worker.start()
    print(worker.pid, flush=True)
    time.sleep(60)
'''


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f'/proc/{pid}/stat') as stat:  # a zombie has exited
        return stat.read().split(')')[-1].split()[0] != 'Z'


def test_a_stage_worker_ends_when_the_quickstart_process_is_killed(tmp_path):
    script = tmp_path / 'parent.py'
    script.write_text(PARENT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, 'PYTHONPATH': str(ROOT)})
    try:
        worker = int(parent.stdout.readline())
        time.sleep(1.0)
        assert alive(worker)
        parent.send_signal(signal.SIGKILL)  # no handler runs: only the worker's own watch can end it
        parent.wait()
        deadline = time.monotonic() + 30
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(worker)
    finally:
        parent.kill()


def test_the_scene_writer_stops_with_a_failing_anchor_stage_and_the_next_run_writes_the_same_scenes(
        tmp_path, monkeypatch):
    from snnet_mm.quickstart import run
    from snnet_mm.tiny_data.digit_scenes import make_digit_scenes
    monkeypatch.setattr(run, 'SCENES', dict(train=2000, val=3))  # minutes of writing: still running below
    with pytest.raises(KeyboardInterrupt):
        with run._scenes_meanwhile(tmp_path, needed=True):
            time.sleep(1.0)
            raise KeyboardInterrupt  # the anchors' training interrupted
    assert not any(p.name == 'digit-scenes' for p in multiprocessing.active_children())
    assert not run._scenes_written(tmp_path / 'digit_scenes')
    monkeypatch.setattr(run, 'SCENES', dict(train=6, val=3))
    with run._scenes_meanwhile(tmp_path, needed=True) as written:
        root = written()
    direct = make_digit_scenes(tmp_path / 'direct', num_train=6, num_val=3, seed=0)
    files = sorted(p.relative_to(direct) for p in direct.rglob('*') if p.is_file())
    assert files and files == sorted(p.relative_to(root) for p in root.rglob('*') if p.is_file())
    assert all((root / f).read_bytes() == (direct / f).read_bytes() for f in files)


def test_no_scene_writer_without_a_dense_task_or_when_the_scenes_are_written(tmp_path):
    from snnet_mm.quickstart import run
    from snnet_mm.tiny_data.digit_scenes import make_digit_scenes
    with run._scenes_meanwhile(tmp_path, needed=False) as written:
        assert not multiprocessing.active_children() and written() is None
    root = make_digit_scenes(tmp_path / 'digit_scenes', num_train=2, num_val=2, seed=0)
    stamp = (root / 'coco' / 'annotations' / 'instances_val2017.json').stat().st_mtime_ns
    with run._scenes_meanwhile(tmp_path, needed=True) as written:
        assert not multiprocessing.active_children() and written() == root
    assert (root / 'coco' / 'annotations' / 'instances_val2017.json').stat().st_mtime_ns == stamp
