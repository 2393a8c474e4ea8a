"""A lock file that keeps a second sweep out of a work dir while one runs there.

``work_dir/sweep.lock`` is held with ``fcntl.flock`` for the duration of the sweep and names its
holder (pid, host, start time). The kernel releases a flock when its process dies, so taking
over the lock of a killed sweep is the same atomic step as taking a free one: of two processes
racing for a stale lock exactly one gets it. A file naming a live process on this host, or any
process on another host, that holds no flock (a sweep of an older snnet_mm) still keeps others
out. Release removes the file only while it is the one this process locked. Re-entrant within
a process.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path

from mmengine.logging import MMLogger

LOCK_FILE = 'sweep.lock'
_held: dict[str, list] = {}  # real path -> [count, file descriptor]
_READ_TRIES = 20  # a holder writes its name right after locking: wait up to ~1 s to read it


class WorkDirBusy(RuntimeError):
    """Another sweep holds the work dir."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (own.st_dev, own.st_ino) == (st.st_dev, st.st_ino)


class WorkDirLock:
    """``with WorkDirLock(work_dir):`` holds ``work_dir/sweep.lock``.

    Raises:
        WorkDirBusy: (a ``RuntimeError``) On entry, when another live process (or one on another host) holds the lock.
    """

    def __init__(self, work_dir: str | Path) -> None:
        self.path = Path(work_dir) / LOCK_FILE

    def _key(self) -> str:
        return os.path.realpath(self.path)

    def _holder(self) -> dict:
        try:
            holder = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return holder if isinstance(holder, dict) else {}

    def _flock(self) -> int | None:
        """A descriptor holding the flock of the file now at ``self.path``, or None if another process holds it."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return None
            if _same_file(fd, self.path):
                return fd
            os.close(fd)  # its holder released (and removed) it between our open and flock: again

    def _live_holder(self, holder: dict) -> bool:
        """Whether the holder named in the file may still run (it holds no flock: an older snnet_mm)."""
        pid, host = holder.get('pid'), holder.get('host')
        if not holder or pid == os.getpid() and host == socket.gethostname():
            return False
        if host != socket.gethostname():
            return True
        return not isinstance(pid, int) or _alive(pid)

    def _refuse(self, holder: dict) -> WorkDirBusy:
        return WorkDirBusy(
            f'work_dir: {self.path.parent} is in use by another sweep (pid {holder.get("pid")} on host '
            f'{holder.get("host")}, since {holder.get("since")}); wait for it to finish or choose another '
            f'--work-dir. If no such process runs, delete {self.path}')

    def acquire(self) -> None:
        key = self._key()
        if key in _held:
            _held[key][0] += 1
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = self._flock()
        if fd is None:
            for _ in range(_READ_TRIES):
                holder = self._holder()
                if holder and self._live_holder(holder):
                    break
                time.sleep(0.05)
            raise self._refuse(holder)
        holder = self._holder()
        if self._live_holder(holder):
            os.close(fd)
            raise self._refuse(holder)
        if holder and holder.get('pid') != os.getpid():
            MMLogger.get_current_instance().warning(
                f'{self.path}: taking over the lock of process {holder.get("pid")}, which no longer runs '
                '(a sweep that was killed)')
        content = json.dumps(dict(pid=os.getpid(), host=socket.gethostname(),
                                  since=time.strftime('%Y-%m-%d %H:%M:%S'))).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, content, 0)
        _held[key] = [1, fd]

    def release(self) -> None:
        key = self._key()
        entry = _held[key]
        entry[0] -= 1
        if entry[0]:
            return
        del _held[key]
        fd = entry[1]
        try:
            if _same_file(fd, self.path):  # never remove a lock file another process made
                self.path.unlink(missing_ok=True)
        finally:
            os.close(fd)

    def __enter__(self) -> 'WorkDirLock':
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
