"""A sweep's results survive kills, refuse to mix settings, and are never lost or forgotten.

tools/test_stitches.py runs in-process on the toy stitched classifier (a second per sweep).
"""
from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip('mmengine')
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from toy_sweep import sweep, toy_workspace, write_checkpoint  # noqa: E402

from snnet_mm.evaluation import results as results_module  # noqa: E402
from snnet_mm.evaluation.fingerprint import difference  # noqa: E402
from snnet_mm.evaluation.lock import WorkDirLock  # noqa: E402
from snnet_mm.evaluation.results import repair, write_tables  # noqa: E402
from snnet_mm.stitching.sweep_records import read_results  # noqa: E402
from snnet_mm.evaluation.sweep import StitchSweep  # noqa: E402


@pytest.fixture
def setup(tmp_path, monkeypatch):
    return toy_workspace(tmp_path, monkeypatch)


def evaluated_by(monkeypatch) -> list[int]:
    """Stitches the sweep evaluates, in either mode (per stitch, or groups in one pass)."""
    calls = []
    original, original_group = StitchSweep.evaluate, StitchSweep.evaluate_group

    def recording(self, index):
        calls.append(index)
        return original(self, index)

    def recording_group(self, indices):
        calls.extend(indices)
        return original_group(self, indices)

    monkeypatch.setattr(StitchSweep, 'evaluate', recording)
    monkeypatch.setattr(StitchSweep, 'evaluate_group', recording_group)
    return calls


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_resume_with_other_test_settings_is_refused_naming_the_setting(setup):
    config, ckpt = setup
    sweep(config, ckpt, 'w', '--stitches', '0')
    with pytest.raises(ValueError, match=r'resume: .*test_dataloader\.dataset\.size is 8 in the results file, '
                                         r'12 now'):
        sweep(config, ckpt, 'w', '--stitches', '0,1', '--resume', cfg_options=('test_dataloader.dataset.size=12',))
    assert [r.get('index') for r in lines(Path('w/sweep_results.jsonl'))] == [None, 0]


def test_other_weights_at_the_same_path_and_mtime_are_refused(setup):
    config, ckpt = setup
    sweep(config, ckpt, 'w', '--stitches', '0')
    stat = ckpt.stat()
    write_checkpoint(ckpt, seed=1)  # retrained in place: same path, same size
    os.utime(ckpt, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert ckpt.stat().st_size == stat.st_size
    with pytest.raises(ValueError, match=r'resume: .*checkpoint is "sha256:[0-9a-f]+" in the results file, '
                                         r'"sha256:[0-9a-f]+" now'):
        sweep(config, ckpt, 'w', '--stitches', '0,1', '--resume')


def test_same_checkpoint_through_a_relative_path_or_a_copy_resumes(setup, monkeypatch):
    config, ckpt = setup
    sweep(config, ckpt.resolve(), 'w', '--stitches', '0')
    shutil.copy(ckpt, 'copy.pth')
    calls = evaluated_by(monkeypatch)
    sweep(config, 'model.pth', 'w', '--stitches', '0,1', '--resume')
    records = sweep(config, 'copy.pth', 'w', '--stitches', '0,1,2', '--resume')
    assert calls == [1, 2]
    assert [r['index'] for r in records] == [0, 1, 2]


def test_results_without_a_fingerprint_are_refused(setup):
    config, ckpt = setup
    Path('w').mkdir()
    Path('w/sweep_results.jsonl').write_text(json.dumps(dict(index=0, route='S[0:2]', checkpoint='x@1')) + '\n')
    with pytest.raises(ValueError, match='written without a fingerprint'):
        sweep(config, ckpt, 'w', '--stitches', '0,1', '--resume')


def test_a_cut_last_line_is_truncated_with_a_warning_and_its_stitch_redone(setup, monkeypatch, caplog):
    config, ckpt = setup
    sweep(config, ckpt, 'w', '--stitches', '0,1')
    path = Path('w/sweep_results.jsonl')
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"index": 2, "route": "S[0:1] -')  # killed while writing stitch 2
    calls = evaluated_by(monkeypatch)
    monkeypatch.setattr(results_module, '_logger', lambda: logging.getLogger('snnet_mm.test'))
    with caplog.at_level(logging.WARNING, logger='snnet_mm.test'):
        records = sweep(config, ckpt, 'w', '--stitches', '0,1,2,3', '--resume')
    assert calls == [2, 3]
    assert [r.get('index') for r in lines(path)] == [None, 0, 1, 2, 3]  # every line parses
    assert [r['index'] for r in records] == [0, 1, 2, 3]
    assert 'truncated 31 bytes of a partial last record' in caplog.text


def test_a_whole_last_record_without_newline_is_kept(tmp_path):
    path = tmp_path / 'r.jsonl'
    path.write_text('{"sweep_fingerprint": {}}\n{"index": 0}\n{"index": 1}')
    repair(path)
    assert path.read_text().endswith('{"index": 1}\n')
    assert [r['index'] for r in read_results(path)[1]] == [0, 1]


def test_a_malformed_line_before_the_last_is_an_error_naming_it(tmp_path):
    path = tmp_path / 'r.jsonl'
    path.write_text('{"sweep_fingerprint": {}}\n{"index": 0, "ro{"index": 1}\n{"index": 2}\n')
    with pytest.raises(ValueError, match=r'r\.jsonl:2: not a JSON record'):
        read_results(path)


def test_tables_and_front_cover_every_stitch_of_the_results_file(setup, monkeypatch):
    config, ckpt = setup
    sweep(config, ckpt, 'w', '--stitches', '0,3')
    records = sweep(config, ckpt, 'w', '--stitches', '1', '--resume')
    assert [r['index'] for r in records] == [0, 1, 3]
    table = json.loads(Path('w/stitches.json').read_text())
    assert [r['index'] for r in table['stitches']] == [0, 1, 3]
    assert table['fingerprint']['checkpoint'].startswith('sha256:')
    assert Path('w/stitches.csv').read_text().count('\n') == 4


def test_a_second_sweep_on_the_work_dir_is_refused_naming_the_holder(setup):
    config, ckpt = setup
    holder = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    try:
        Path('w').mkdir()
        Path('w/sweep.lock').write_text(json.dumps(dict(pid=holder.pid, host=os.uname().nodename, since='now')))
        with pytest.raises(RuntimeError, match=rf'work_dir: w is in use by another sweep \(pid {holder.pid} on host'):
            sweep(config, ckpt, 'w', '--stitches', '0')
        assert not Path('w/sweep_results.jsonl').exists()
    finally:
        holder.kill()
        holder.wait()
    # The holder is gone: its lock is stale and taken over.
    sweep(config, ckpt, 'w', '--stitches', '0')
    assert not Path('w/sweep.lock').exists()


def test_lock_is_reentrant_and_released(tmp_path):
    with WorkDirLock(tmp_path):
        with WorkDirLock(tmp_path):
            assert (tmp_path / 'sweep.lock').exists()
        assert (tmp_path / 'sweep.lock').exists()
    assert not (tmp_path / 'sweep.lock').exists()


def test_a_failed_table_write_keeps_the_previous_table(tmp_path, monkeypatch):
    write_tables([dict(index=0, flops=1)], tmp_path)
    before = (tmp_path / 'stitches.json').read_text()
    real_open = open

    class FullDisk(io.FileIO):
        def write(self, data):
            raise OSError(28, 'No space left on device')

    def full_disk_open(path, mode='r', *args, **kwargs):
        if 'stitches' in str(path) and 'w' in mode:
            real_open(path, mode).close()  # the file is created (truncated) before the write fails
            return FullDisk(path, 'w')
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr('builtins.open', full_disk_open)
    monkeypatch.setattr('io.open', full_disk_open)
    with pytest.raises(OSError, match='No space left'):
        write_tables([dict(index=0, flops=2)], tmp_path)
    monkeypatch.undo()
    assert (tmp_path / 'stitches.json').read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ['stitches.csv', 'stitches.json']


def test_fingerprint_difference_names_the_part():
    old = dict(checkpoint='sha256:a', versions=dict(torch='2.1'), input_size=[64, 64])
    assert difference(old, dict(old)) is None
    assert difference(old, {**old, 'versions': dict(torch='2.2')}) == \
        'versions.torch is "2.1" in the results file, "2.2" now'
    assert difference(old, {**old, 'input_size': [128, 64], 'checkpoint': 'sha256:b'}) == \
        'checkpoint is "sha256:a" in the results file, "sha256:b" now; input_size is [64, 64] in the results file, ' \
        '[128, 64] now'


# --------------------------------------------------------------------------- lock races
def _race_for_the_lock(work_dir: str, barrier, results, trials: int) -> None:
    from snnet_mm.evaluation.lock import WorkDirLock
    for _ in range(trials):
        barrier.wait(timeout=30)  # the parent has written a stale lock
        lock = WorkDirLock(work_dir)
        try:
            lock.acquire()
            results.put((os.getpid(), True, ''))
        except RuntimeError as exc:
            results.put((os.getpid(), False, str(exc)))
            lock = None
        barrier.wait(timeout=30)  # both have tried
        if lock is not None:
            lock.release()
        barrier.wait(timeout=30)  # released


def test_a_stale_lock_is_taken_over_by_exactly_one_of_two_racing_processes(tmp_path):
    import multiprocessing
    trials = 60
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()  # a killed sweep's pid: no longer running
    context = multiprocessing.get_context('fork')
    barrier, results = context.Barrier(3), context.Queue()
    workers = [context.Process(target=_race_for_the_lock, args=(str(tmp_path), barrier, results, trials))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    outcomes = []
    try:
        for _ in range(trials):
            (tmp_path / 'sweep.lock').write_text(json.dumps(dict(pid=dead.pid, host=os.uname().nodename,
                                                                 since='then')))
            barrier.wait(timeout=30)
            barrier.wait(timeout=30)
            outcomes.append(sorted((results.get(timeout=30), results.get(timeout=30)), key=lambda o: not o[1]))
            barrier.wait(timeout=30)
            assert not (tmp_path / 'sweep.lock').exists()
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    held_by_both = sum(a[1] and b[1] for a, b in outcomes)
    assert held_by_both == 0 and all(a[1] for a, _ in outcomes), f'{held_by_both} of {trials} trials'
    for (winner, _, _), (_, _, refusal) in outcomes:  # the loser names the winner, not the dead process
        assert f'in use by another sweep (pid {winner} on host' in refusal, refusal
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no temporary file left behind


def test_release_never_removes_a_lock_another_process_made(tmp_path):
    lock = WorkDirLock(tmp_path)
    lock.acquire()
    # Meanwhile the file is replaced (deleted by hand, another sweep started): it is not ours.
    (tmp_path / 'sweep.lock').unlink()
    (tmp_path / 'sweep.lock').write_text(json.dumps(dict(pid=1, host='elsewhere', since='now')))
    lock.release()
    assert json.loads((tmp_path / 'sweep.lock').read_text())['host'] == 'elsewhere'


# --------------------------------------------------------------------------- errors before work, a full disk
def test_sweep_inputs_fail_before_work(setup, monkeypatch):
    config, ckpt = setup
    calls = evaluated_by(monkeypatch)
    Path('cut.json').write_text('{"stitches": [')
    Path('flat.json').write_text('{"stitches": [{"index": 0, "route": "S[0:2]"}]}')
    for compare, message in (('none.json', "--compare: no such file 'none.json'"),
                             ('cut.json', "--compare: 'cut.json' is not JSON (Expecting value"),
                             ('flat.json', "--compare: 'flat.json': stitch record 0 lacks ['flops']")):
        with pytest.raises(ValueError) as info:
            sweep(config, ckpt, 'w', '--compare', compare)
        assert str(info.value).startswith(message), str(info.value)
    assert not Path('w').exists() and calls == []  # nothing built, nothing evaluated
    # A metric the evaluator does not report: known after the first stitch, whose record is kept.
    with pytest.raises(ValueError, match=r"^--metric: 'acc' is not among the reported metrics \['accuracy'\]; "
                                         r'the records of the stitches evaluated so far are kept'):
        sweep(config, ckpt, 'w', '--stitches', '0,1,2', '--mode', 'per-stitch', '--metric', 'acc')
    assert calls == [0] and [r['index'] for r in read_results('w/sweep_results.jsonl')[1]] == [0]
    with pytest.raises(ValueError, match=r"^--metric: 'acc' is not among"):  # resumed records: before any work
        sweep(config, ckpt, 'w', '--stitches', '0,1,2', '--resume', '--metric', 'acc')
    assert calls == [0]


def test_a_failed_table_write_after_a_group_keeps_its_records(setup, monkeypatch):
    import errno

    from mmengine.hooks import LoggerHook
    config, ckpt = setup
    original = LoggerHook.after_test_epoch

    def full_disk(self, runner, metrics=None):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(LoggerHook, 'after_test_epoch', full_disk)
    with pytest.raises(OSError, match='No space left on device'):
        sweep(config, ckpt, 'w', '--stitches', '0,1,2')  # one group, one pass
    assert [r['index'] for r in read_results('w/sweep_results.jsonl')[1]] == [0, 1, 2]
    assert not [p.name for p in Path('w').iterdir() if 'lock' in p.name]  # released, no temporary file
    monkeypatch.setattr(LoggerHook, 'after_test_epoch', original)
    calls = evaluated_by(monkeypatch)
    assert [r['index'] for r in sweep(config, ckpt, 'w', '--stitches', '0,1,2', '--resume')] == [0, 1, 2]
    assert calls == []
