"""Compatibility fixes for MMEngine 0.10.7 on torch 2.14, applied when ``snnet_mm`` is imported.

1. Checkpoints and ``torch.load(weights_only=True)``.

torch >= 2.6 loads checkpoints with ``weights_only=True``, which refuses every global not on
an allow-list. MMEngine's checkpoints hold the message hub's ``HistoryBuffer`` objects, whose
``__getstate__`` stores its statistics functions (pickled as ``builtins.getattr`` calls), and
numpy arrays. Allow-listing ``getattr`` would let a crafted checkpoint run code, so instead
``HistoryBuffer`` is pickled by value (its default statistics are re-registered on load) and
only plain data types are allow-listed.

2. Distributed training on CPU-only machines. MMEngine's ``pytorch`` launcher calls
``torch.cuda.set_device`` and wraps models in DDP with ``device_ids=[LOCAL_RANK]``; both fail
without a GPU. Without CUDA, the launcher skips ``set_device`` and uses gloo (NCCL needs
CUDA), and DDP gets no ``device_ids`` for CPU modules. Nothing changes where CUDA is available.

``apply()`` (called by ``import snnet_mm``) applies each patch once and logs one line per patch;
with the environment variable ``SNNET_MM_NO_COMPAT=1`` it applies none.
"""
from __future__ import annotations

import functools
import logging
import os
from typing import Any

import mmengine.dist.utils as dist_utils
import mmengine.runner.checkpoint as mm_checkpoint
import numpy as np
import torch
from mmengine.logging import print_log
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.model.wrappers import MMDistributedDataParallel

_STATE_KEY = 'statistics_methods'


def _history_buffer_getstate(self: HistoryBuffer) -> dict[str, Any]:
    """State by value: the logged arrays and ``max_length``, no function references."""
    return {k: v for k, v in self.__dict__.items() if k != _STATE_KEY}


def _numpy_safe_globals() -> list[Any]:
    try:
        from numpy._core import multiarray  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    dtype_classes = [getattr(np.dtypes, n) for n in dir(np.dtypes) if n.endswith('DType')]
    return [np.ndarray, np.dtype, multiarray._reconstruct, multiarray.scalar, *dtype_classes]


def safe_globals() -> list[Any]:
    """The globals snnet_mm adds to torch's ``weights_only`` allow-list."""
    return [HistoryBuffer, *_numpy_safe_globals()]


def patch_checkpoint_loading() -> None:
    """Pickle ``HistoryBuffer`` by value and allow-list the plain data types of checkpoints."""
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    torch.serialization.add_safe_globals(safe_globals())
    # MMEngine reads http(s) and prefixed URIs with torch.hub's default weights_only=False.
    if not getattr(mm_checkpoint.load_url, '_snnet_mm', False):
        mm_checkpoint.load_url = functools.partial(mm_checkpoint.load_url, weights_only=True)
        mm_checkpoint.load_url._snnet_mm = True


def _cpu_init_dist_pytorch(original):
    @functools.wraps(original)
    def init(backend: str = 'nccl', init_backend: str = 'torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        if backend == 'nccl':
            print_log('no CUDA device: using the gloo backend instead of nccl', logger='current',
                      level=logging.WARNING)
            backend = 'gloo'
        torch.distributed.init_process_group(backend=backend, **kwargs)
    return init


def _cpu_ddp_init(original):
    @functools.wraps(original)
    def init(self, module, *args, **kwargs):
        if kwargs.get('device_ids') and all(p.device.type == 'cpu' for p in module.parameters()):
            kwargs['device_ids'] = None
        original(self, module, *args, **kwargs)
    return init


def patch_cpu_distributed() -> None:
    """Make MMEngine's ``pytorch`` launcher and DDP wrapper work without a GPU."""
    if not getattr(dist_utils._init_dist_pytorch, '_snnet_mm', False):
        dist_utils._init_dist_pytorch = _cpu_init_dist_pytorch(dist_utils._init_dist_pytorch)
        dist_utils._init_dist_pytorch._snnet_mm = True
    if not getattr(MMDistributedDataParallel.__init__, '_snnet_mm', False):
        MMDistributedDataParallel.__init__ = _cpu_ddp_init(MMDistributedDataParallel.__init__)
        MMDistributedDataParallel.__init__._snnet_mm = True


PATCHES = {
    'checkpoint_loading': (patch_checkpoint_loading,
                           'HistoryBuffer pickled by value, plain data types allow-listed for '
                           'weights_only checkpoint loading (--resume on torch >= 2.6)'),
    'cpu_distributed': (patch_cpu_distributed,
                        'pytorch launcher uses gloo and DDP wraps CPU modules when no CUDA device exists'),
}
DISABLE_ENV = 'SNNET_MM_NO_COMPAT'
_applied: set[str] = set()


def disabled() -> bool:
    """Whether ``SNNET_MM_NO_COMPAT`` turns the patches off."""
    return os.environ.get(DISABLE_ENV, '').strip().lower() not in ('', '0', 'false', 'no')


def apply() -> list[str]:
    """Apply every patch not applied yet (one log line each); none with ``SNNET_MM_NO_COMPAT=1``."""
    if disabled():
        return []
    done = []
    for name, (patch, what) in PATCHES.items():
        if name in _applied:
            continue
        patch()
        _applied.add(name)
        done.append(name)
        print_log(f'snnet_mm compat: {what} ({DISABLE_ENV}=1 turns this off)', logger='current',
                  level=logging.INFO)
    return done
