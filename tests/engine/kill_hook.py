"""A hook that SIGKILLs rank 0 after a given iteration (the resume test's "kill -9")."""
from __future__ import annotations

import os
import signal

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class KillRankZeroAfter(Hook):
    """Kill rank 0 without any clean-up once iteration ``iteration`` (1-based) is done and its
    checkpoint, if one is due, is written; torchrun then stops the other ranks."""

    priority = 'LOWEST'  # after CheckpointHook

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if runner.iter + 1 == self.iteration and get_rank() == 0:
            os.kill(os.getpid(), signal.SIGKILL)
