"""Compatibility fixes for MMEngine 0.10.7 on torch 2.14, applied when ``snnet_mm`` is imported.

1. Checkpoints and ``torch.load(weights_only=True)``.

torch >= 2.6 loads checkpoints with ``weights_only=True``, which refuses every global not on
an allow-list. MMEngine's checkpoints hold the message hub's ``HistoryBuffer`` objects, whose
``__getstate__`` stores its statistics functions (pickled as ``builtins.getattr`` calls), and
numpy arrays. Allowing the real ``getattr`` would let a crafted checkpoint reach any attribute,
so ``HistoryBuffer`` is pickled by value (its default statistics are re-registered on load),
and checkpoints written without this patch load through a ``getattr`` that resolves only
``HistoryBuffer``'s four statistics. These types join snnet_mm's loading policy
(``snnet_mm.stitching.safe_load``), and every MMEngine checkpoint read (``load_from``,
``--resume``, upstream ``test.py``, inferencers, URLs) runs under that policy: the allow-list
is in force during the read only, and a refused global is named in the error.

2. Distributed training on CPU-only machines. MMEngine's ``pytorch`` launcher calls
``torch.cuda.set_device`` and wraps models in DDP with ``device_ids=[LOCAL_RANK]``; both fail
without a GPU. Without CUDA, the launcher skips ``set_device`` and uses gloo (NCCL needs
CUDA), and DDP gets no ``device_ids`` for CPU modules. Nothing changes where CUDA is available.

``apply()`` (called by ``import snnet_mm``) applies each patch once, silently (one debug line on
the ``snnet_mm`` logger each); with the environment variable ``SNNET_MM_NO_COMPAT=1`` it applies
none.
"""
from __future__ import annotations

import functools
import logging
import os
import pickle
from typing import Any

import mmengine.dist.utils as dist_utils
import mmengine.runner.checkpoint as mm_checkpoint
import torch
from mmengine.config import ConfigDict
from mmengine.logging import print_log
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.model.wrappers import MMDistributedDataParallel
from mmengine.runner.checkpoint import CheckpointLoader

from .stitching import safe_load

_STATE_KEY = 'statistics_methods'
# What unpatched MMEngine pickles as getattr(HistoryBuffer, name): its default statistics.
_STATISTICS = ('min', 'max', 'current', 'mean')
logger = logging.getLogger('snnet_mm')


def _history_buffer_getstate(self: HistoryBuffer) -> dict[str, Any]:
    """State by value: the logged arrays and ``max_length``, no function references."""
    return {k: v for k, v in self.__dict__.items() if k != _STATE_KEY}


def _history_buffer_statistic(owner: Any, name: Any) -> Any:
    """``getattr`` as checkpoints read it: ``HistoryBuffer``'s statistics, nothing else."""
    if owner is HistoryBuffer and name in _STATISTICS:
        return getattr(HistoryBuffer, name)
    where = f'{getattr(owner, "__module__", "?")}.{getattr(owner, "__qualname__", type(owner).__name__)}'
    raise pickle.UnpicklingError(f'Unsupported global: GLOBAL {where}.{name} was not an allowed global '
                                 '(getattr resolves only HistoryBuffer statistics)')


def safe_globals() -> list[Any]:
    """The MMEngine globals snnet_mm's loading policy allows (see ``docs/reliability.md``)."""
    return [HistoryBuffer, ConfigDict, (_history_buffer_statistic, 'builtins.getattr')]


def _policy_load_checkpoint(original):
    """``CheckpointLoader.load_checkpoint`` (every scheme) with snnet_mm's allow-list in force."""
    @functools.wraps(original)
    def load_checkpoint(filename, map_location=None, logger='current'):
        with safe_load.allowed_globals():
            try:
                return original(filename, map_location, logger)
            except safe_load.UnsafeCheckpointError:
                raise
            except (pickle.UnpicklingError, EOFError) as error:
                raise safe_load.refusal(error, filename, 'checkpoint') from None
    return load_checkpoint


def _policy_load_from_local(original):
    """MMEngine's local-file scheme through ``safe_load.load`` (weights_only stated, not defaulted)."""
    @functools.wraps(original)
    def load_from_local(filename, map_location):
        filename = os.path.expanduser(filename)
        if not os.path.isfile(filename):
            raise FileNotFoundError(f'{filename} can not be found.')  # as MMEngine's own (callers catch it)
        return safe_load.load(filename, field_name='checkpoint', map_location=map_location)
    return load_from_local


def patch_checkpoint_loading() -> None:
    """Pickle ``HistoryBuffer`` by value; read MMEngine checkpoints under snnet_mm's loading policy."""
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    safe_load.allow(safe_globals())
    local = CheckpointLoader._schemes['']
    if not getattr(local, '_snnet_mm', False):
        CheckpointLoader.register_scheme('', _policy_load_from_local(local), force=True)
        CheckpointLoader._schemes['']._snnet_mm = True
    if not getattr(CheckpointLoader.load_checkpoint, '_snnet_mm', False):
        CheckpointLoader.load_checkpoint = staticmethod(_policy_load_checkpoint(CheckpointLoader.load_checkpoint))
        CheckpointLoader.load_checkpoint._snnet_mm = True
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
                           'HistoryBuffer pickled by value; MMEngine checkpoints read under the loading '
                           'policy of snnet_mm.stitching.safe_load (weights_only, --resume on torch >= 2.6)'),
    'cpu_distributed': (patch_cpu_distributed,
                        'pytorch launcher uses gloo and DDP wraps CPU modules when no CUDA device exists'),
}
DISABLE_ENV = 'SNNET_MM_NO_COMPAT'
_applied: set[str] = set()


def disabled() -> bool:
    """Whether ``SNNET_MM_NO_COMPAT`` turns the patches off."""
    return os.environ.get(DISABLE_ENV, '').strip().lower() not in ('', '0', 'false', 'no')


def apply() -> list[str]:
    """Apply every patch not applied yet (a debug line each); none with ``SNNET_MM_NO_COMPAT=1``."""
    if disabled():
        return []
    done = []
    for name, (patch, what) in PATCHES.items():
        if name in _applied:
            continue
        patch()
        _applied.add(name)
        done.append(name)
        logger.debug('snnet_mm compat: %s (%s=1 turns this off)', what, DISABLE_ENV)
    return done
