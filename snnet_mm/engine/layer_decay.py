"""Layer-wise learning-rate decay for any OpenMMLab model whose backbone has ``get_layer_depth``.

mmpretrain's ``LearningRateDecayOptimWrapperConstructor`` asks the model itself, which mmseg's
and mmdet's models cannot answer. This constructor (MMEngine root registry, so it resolves from
every scope) asks the model if it can, else the one submodule with ``get_layer_depth`` (the
backbone, e.g. ``SNNetv2``) with that module's name as prefix:

    optim_wrapper = dict(constructor='LayerDecayOptimWrapperConstructor',
                         optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.1),
                         paramwise_cfg=dict(layer_decay_rate=0.8, norm_decay_mult=0.0))

A parameter at layer ``i`` of ``n`` trains at ``lr * layer_decay_rate ** (n - i - 1)`` (the rule
of mmpretrain and ViTDet), times any ``lr_mult`` of ``custom_keys``; weight-decay options are
MMEngine's (``norm_decay_mult``, ``bias_decay_mult``, ``flat_decay_mult``, ``custom_keys``).
"""
from __future__ import annotations

from typing import Callable

from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
from torch import nn

from ..models.wrapped import unwrap_model
from ..utils.checks import check_number


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """MMEngine's default constructor plus layer-wise lr decay (``paramwise_cfg.layer_decay_rate``)."""

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: dict | None = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        rate = paramwise_cfg.setdefault('layer_decay_rate', 1.0)
        check_number(rate, 'paramwise_cfg.layer_decay_rate', low=0, high=1, low_open=True)
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        self.layer_decay_rate = float(rate)

    def add_params(self, params: list[dict], module: nn.Module, prefix: str = '', **kwargs) -> None:
        super().add_params(params, module, prefix, **kwargs)
        if prefix:  # children: the whole model is scaled once, at the top call
            return
        depth_of = layer_depth_function(module)
        names = {id(p): n for n, p in module.named_parameters()}
        for group in params:
            layer, num_layers = depth_of(names[id(group['params'][0])])
            scale = self.layer_decay_rate ** (num_layers - layer - 1)
            group['lr'] = group.get('lr', self.base_lr) * scale
        MMLogger.get_current_instance().info(
            f'LayerDecayOptimWrapperConstructor: layer decay {self.layer_decay_rate} over {num_layers} layers '
            f'(lowest lr scale {self.layer_decay_rate ** (num_layers - 1):.3g})' if params else
            'LayerDecayOptimWrapperConstructor: no trainable parameters')


def layer_depth_function(model: nn.Module) -> Callable[[str], tuple[int, int]]:
    """``param name -> (layer id, number of layers)`` of ``model`` or of its one backbone with it."""
    model = unwrap_model(model)
    if hasattr(model, 'get_layer_depth'):
        return model.get_layer_depth
    found = [(name, m) for name, m in model.named_modules() if name and hasattr(m, 'get_layer_depth')]
    found = [(name, m) for name, m in found if not any(name.startswith(f'{o}.') for o, _ in found)]
    if len(found) != 1:
        raise ValueError(f'model: layer decay needs exactly one submodule with get_layer_depth in '
                         f'{type(model).__name__}, found {[name for name, _ in found]}')
    name, backbone = found[0]
    return lambda param_name: backbone.get_layer_depth(param_name, f'{name}.')
