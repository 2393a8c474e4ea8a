"""The quickstart's stage workers: a worker whose quickstart process dies ends itself."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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
