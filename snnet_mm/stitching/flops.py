"""fvcore-rule FLOP counting of aten ops, on any device (the meta device included).

fvcore counts one multiply-add as one FLOP for linear layers, matrix products and
convolutions, ``5 * numel`` for affine layer norms, ``2 * numel`` for affine batch norms in eval
mode, input numel for adaptive average pooling, and nothing for element-wise ops. It skips
timm's fused ``scaled_dot_product_attention``; here attention is always counted as its two
matrix products (as fvcore does on unfused attention), which is what SN-Netv2 reports.
"""
from __future__ import annotations

import copy
import math
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten


def _shape(t: Any) -> tuple[int, ...]:
    return tuple(t.shape)


def _mm(args: tuple) -> int:
    (m, k), (_, n) = _shape(args[0]), _shape(args[1])
    return m * k * n


def _addmm(args: tuple) -> int:
    return _mm(args[1:])


def _bmm(args: tuple) -> int:
    (b, m, k), (_, _, n) = _shape(args[0]), _shape(args[1])
    return b * m * k * n


def _baddbmm(args: tuple) -> int:
    return _bmm(args[1:])


def _conv(args: tuple, out: torch.Tensor) -> int:
    weight = _shape(args[1])
    return out.shape[0] * math.prod(weight) * math.prod(out.shape[2:])


def _layer_norm(args: tuple) -> int:
    has_affine = len(args) > 2 and args[2] is not None
    return math.prod(_shape(args[0])) * (5 if has_affine else 4)


def _batch_norm(args: tuple) -> int:
    # fvcore: 2 * numel in eval (1 without affine), like a layer norm (5 / 4) in training.
    numel, affine = math.prod(_shape(args[0])), args[1] is not None
    if args[5]:
        return numel * (5 if affine else 4)
    return numel * (2 if affine else 1)


def _sdpa(args: tuple) -> int:
    q, k, v = (_shape(a) for a in args[:3])
    batch = math.prod(q[:-2])
    return batch * q[-2] * q[-1] * k[-2] + batch * q[-2] * k[-2] * v[-1]


_HANDLERS: dict[Any, Callable[..., int]] = {
    aten.mm.default: _mm,
    aten.addmm.default: _addmm,
    aten.bmm.default: _bmm,
    aten.baddbmm.default: _baddbmm,
    aten.native_layer_norm.default: _layer_norm,
    aten.native_batch_norm.default: _batch_norm,
    aten._scaled_dot_product_flash_attention_for_cpu.default: _sdpa,
    aten._scaled_dot_product_efficient_attention.default: _sdpa,
    aten._scaled_dot_product_flash_attention.default: _sdpa,
}


class _PoolCounter(TorchFunctionMode):
    """Adaptive average pooling as fvcore counts it (one FLOP per input element).

    It must be seen before dispatch: a 1x1 adaptive pool decomposes into ``aten.mean``, which
    fvcore does not count when a model calls it directly (Swin's head).
    """

    def __init__(self, owner: 'FlopCounter') -> None:
        super().__init__()
        self.owner = owner

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func is F.adaptive_avg_pool2d:
            self.owner.flops += math.prod(_shape(args[0]))
        return func(*args, **(kwargs or {}))


class FlopCounter(TorchDispatchMode):
    """Counts fvcore-style FLOPs of the aten ops dispatched inside the context."""

    def __init__(self) -> None:
        super().__init__()
        self.flops = 0
        self._pools = _PoolCounter(self)

    def __enter__(self):
        self._pools.__enter__()
        return super().__enter__()

    def __exit__(self, *exc):
        try:
            return super().__exit__(*exc)
        finally:
            self._pools.__exit__(*exc)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func is aten.convolution.default:
            self.flops += _conv(args, out)
        elif func in _HANDLERS:
            self.flops += _HANDLERS[func](args)
        return out


def meta_copy(module: nn.Module) -> nn.Module:
    """Structure-only copy of ``module`` whose tensors live on the meta device (no data copied)."""
    memo: dict[int, Any] = {}
    for t in list(module.parameters()) + list(module.buffers()):
        meta = torch.empty_like(t, device='meta')
        memo[id(t)] = nn.Parameter(meta, requires_grad=t.requires_grad) if isinstance(t, nn.Parameter) else meta
    clone = copy.deepcopy(module, memo)
    for m in clone.modules():
        if hasattr(m, 'fused_attn'):
            m.fused_attn = False
    return clone.eval()


def count_flops(fn: Callable[..., Any], *args: Any) -> tuple[int, Any]:
    """FLOPs of ``fn(*args)`` and its output."""
    with torch.no_grad(), FlopCounter() as counter:
        out = fn(*args)
    return counter.flops, out
