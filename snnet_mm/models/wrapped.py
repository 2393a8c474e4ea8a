"""The model inside a model wrapper: one place for every part that needs the task model itself."""
from __future__ import annotations

from mmengine.model import is_model_wrapper
from torch import nn


def unwrap_model(model: nn.Module) -> nn.Module:
    """The module an MMEngine model wrapper (``MMDistributedDataParallel``, DDP, FSDP, ...) holds,
    or ``model`` itself when it is not wrapped."""
    return model.module if is_model_wrapper(model) else model
