"""A lock file that keeps a second sweep out of a work dir while one runs there.

The lock is created atomically with its content (a temporary file hard-linked to the lock
name), so it always names its holder: the pid and host. A lock whose process is gone (same
host, pid not running) is stale and taken over with a warning. Re-entrant within a process.
"""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from mmengine.logging import MMLogger

LOCK_FILE = 'sweep.lock'
_held: dict[str, int] = {}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class WorkDirLock:
    """``with WorkDirLock(work_dir):`` holds ``work_dir/sweep.lock``.

    Raises:
        RuntimeError: On entry, when a live process (or one on another host) holds the lock.
    """

    def __init__(self, work_dir: str | Path) -> None:
        self.path = Path(work_dir) / LOCK_FILE

    def _key(self) -> str:
        return os.path.realpath(self.path)

    def _try_create(self) -> bool:
        tmp = self.path.with_name(f'.{LOCK_FILE}.{os.getpid()}.tmp')
        tmp.write_text(json.dumps(dict(pid=os.getpid(), host=socket.gethostname(),
                                       since=time.strftime('%Y-%m-%d %H:%M:%S'))))
        try:
            os.link(tmp, self.path)
            return True
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)

    def _holder(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def acquire(self) -> None:
        key = self._key()
        if _held.get(key):
            _held[key] += 1
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while not self._try_create():
            holder = self._holder()
            pid, host = holder.get('pid'), holder.get('host')
            if host == socket.gethostname() and isinstance(pid, int) and (pid == os.getpid() or not _alive(pid)):
                MMLogger.get_current_instance().warning(
                    f'{self.path}: taking over the lock of process {pid}, which no longer runs '
                    '(a sweep that was killed)')
                self.path.unlink(missing_ok=True)
                continue
            raise RuntimeError(
                f'work_dir: {self.path.parent} is in use by another sweep (pid {pid} on host {host}, since '
                f'{holder.get("since")}); wait for it to finish or choose another --work-dir. If no such '
                f'process runs, delete {self.path}')
        _held[key] = 1

    def release(self) -> None:
        key = self._key()
        _held[key] -= 1
        if not _held[key]:
            del _held[key]
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> 'WorkDirLock':
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
