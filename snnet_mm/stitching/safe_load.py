"""Loading checkpoints without running code from them: the one loading policy of snnet_mm.

Every route that reads a checkpoint (anchor files and URLs, teachers, ``load_from``,
``--resume``, upstream ``test.py``, sweeps, export, inference, ``tools/convert_official.py``)
unpickles with ``torch.load(weights_only=True)`` inside ``allowed_globals()``, which adds
exactly the benign types that real checkpoints hold to torch's allow-list, for the duration of
the load only (torch's global allow-list is left as it was):

- numpy arrays, dtypes and scalars (``numpy.core`` and ``numpy._core`` names: numpy 1 and 2
  write different ones): MMEngine's logged history and metric values;
- ``argparse.Namespace``: the official SN-Netv2 classification code saves its ``args``;
- the types the OpenMMLab layer adds with ``allow`` (``snnet_mm.compat``: MMEngine's
  ``HistoryBuffer`` and ``ConfigDict``, and the ``getattr`` calls unpatched MMEngine writes for
  ``HistoryBuffer``'s statistics, resolved to those functions only).

Anything else (``os.system``, ``functools.partial``, any class) is refused with
``UnsafeCheckpointError`` naming the offending global. ``unsafe=True`` (``--unsafe-load`` in the
tools that offer it) is the only way to unpickle arbitrary objects: it runs code from the file.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import pickle
import re
import struct
from typing import Any, Callable, Iterator, Sequence, Union

import torch

logger = logging.getLogger('snnet_mm')

# A global torch may allow: the object itself (named by its module and qualname) or (object, name).
SafeGlobal = Union[Callable, tuple[Callable, str]]

_extra: list[SafeGlobal] = []
_ZIP_MAGIC = b'PK\x03\x04'
_PICKLE_PROTO = 0x80
_GLOBAL = re.compile(r'GLOBAL (\S+)')
_NESTED = re.compile(r".*? is not a readable checkpoint \((.*)\)(?:;[^()]*)?$", re.S)
_UNBUILT = re.compile(r'(?:unrecognized function|add_safe_globals`, but got) (.+?)(?:\n|$)')


class UnsafeCheckpointError(pickle.UnpicklingError, ValueError):
    """A checkpoint holds a global outside the allow-list (``global_name``); it was not unpickled."""

    global_name: str | None = None


def allow(entries: Sequence[SafeGlobal]) -> None:
    """Add ``entries`` to snnet_mm's allow-list (applied during snnet_mm's loads only)."""
    for entry in entries:
        if entry not in _extra:
            _extra.append(entry)


def _numpy_globals() -> list[SafeGlobal]:
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy ships with every supported torch
        return []
    try:
        from numpy._core import multiarray  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    dtypes = [getattr(np.dtypes, n) for n in dir(np.dtypes) if n.endswith('DType')]
    own = [np.ndarray, np.dtype, multiarray._reconstruct, multiarray.scalar, *dtypes]
    # A checkpoint written under the other numpy major version names the same functions there.
    other = [(f, f'{module}.{f.__name__}') for f in (multiarray._reconstruct, multiarray.scalar)
             for module in ('numpy.core.multiarray', 'numpy._core.multiarray')]
    return own + other


def safe_globals() -> list[SafeGlobal]:
    """Every global snnet_mm adds to torch's ``weights_only`` allow-list while it loads."""
    return [*_numpy_globals(), argparse.Namespace, *_extra]


@contextlib.contextmanager
def allowed_globals() -> Iterator[None]:
    """``torch.load(weights_only=True)`` inside this block also accepts ``safe_globals()``."""
    with torch.serialization.safe_globals(safe_globals()):
        yield


def load(path: str | os.PathLike, *, field_name: str = 'checkpoint', unsafe: bool = False,
         unsafe_option: str | None = None, map_location: Any = 'cpu') -> Any:
    """The object saved in the checkpoint file ``path``, unpickled under the loading policy.

    Args:
        path: A ``torch.save`` file (zip or legacy format).
        field_name: Argument or config field named in errors, e.g. ``'src'``.
        unsafe: Unpickle any object (runs code from the file): only for files you trust.
        unsafe_option: The caller's opt-in (e.g. ``'--unsafe-load'``), named when a global is refused.
        map_location: As ``torch.load``'s.

    Raises:
        UnsafeCheckpointError: The file holds a global outside the allow-list (named).
        ValueError: A missing, empty, truncated or corrupted file, or one that is not a checkpoint.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ValueError(f'{field_name}: no such file {path!r}')
    if not os.path.isfile(path):
        raise ValueError(f'{field_name}: {path!r} is not a readable checkpoint (it is a directory, not a file)')
    with open(path, 'rb') as f:
        head = f.read(4)
    if not head:
        raise ValueError(f'{field_name}: {path!r} is not a readable checkpoint (the file is empty)')
    if head != _ZIP_MAGIC and head[0] != _PICKLE_PROTO:
        raise ValueError(f'{field_name}: {path!r} is not a readable checkpoint (not a PyTorch checkpoint: it starts '
                         f'with {head!r}, neither a torch.save zip archive nor a pickle)')
    if unsafe:
        logger.warning('%s: loading %s with %s: any code pickled in it runs now', field_name, path,
                       unsafe_option or 'unsafe=True')
        return torch.load(path, map_location=map_location, weights_only=False)
    try:
        with allowed_globals():
            return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # every failure becomes one message naming the file
        raise refusal(error, path, field_name, unsafe_option=unsafe_option) from None


def refusal(error: BaseException, source: str, field_name: str, *,
            unsafe_option: str | None = None) -> ValueError:
    """The error to raise when reading ``source`` failed with ``error``: an ``UnsafeCheckpointError``
    naming the refused global, else a ``ValueError`` saying what is wrong with the file."""
    message = f'{field_name}: {source!r} is not a readable checkpoint ({reason(error)})'
    if refused_global(error) is None:
        return ValueError(message)
    if unsafe_option:
        message += f'; {unsafe_option} loads it anyway, running any code it holds: only for a file you trust'
    refused = UnsafeCheckpointError(message)
    refused.global_name = refused_global(error)
    return refused


def refused_global(error: BaseException) -> str | None:
    """The global safe loading refused in ``error``, or None for any other failure."""
    if isinstance(error, UnsafeCheckpointError):
        return error.global_name
    text = str(error)
    if not isinstance(error, pickle.UnpicklingError) and 'WeightsUnpickler error' not in text:
        return None
    match = _GLOBAL.search(text) or _UNBUILT.search(text)
    return match.group(1).strip() if match else None


def reason(error: BaseException) -> str:
    """Why a checkpoint could not be read, in a few words without torch's advice to disable safe loading."""
    name = refused_global(error)
    if name is not None:
        return (f'it holds Python objects besides tensors ({name}), which safe loading refuses: unpickling them '
                'could run code from the file')
    text = str(error)
    nested = _NESTED.match(text)
    if nested:  # already explained by a loader below (e.g. MMEngine's, through snnet_mm.compat)
        return nested.group(1)
    if 'WeightsUnpickler error:' in text:  # torch's safe unpickler: keep only its finding
        text = text.split('WeightsUnpickler error:', 1)[1]
    first = text.strip().splitlines()[0].split('. ')[0] if text.strip() else ''
    detail = f'{type(error).__name__}: {first}' if first else type(error).__name__
    cut = isinstance(error, (EOFError, IndexError, struct.error))  # the unpickler read past the end
    if cut or 'truncated' in text or 'zip archive' in text or 'central directory' in text:
        return f'the file is truncated or corrupted: {detail}'
    return detail
