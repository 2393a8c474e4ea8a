"""fvcore-rule FLOP counting of torch ops, on any device (the meta device included).

The rules are fvcore's (``fvcore.nn.FlopCountAnalysis``), one multiply-add = 1 FLOP:

* matrix products (``linear``, ``matmul``, ``mm``, ``addmm``, ``bmm``, ``einsum``): the
  multiply-adds of the product; ``einsum`` as fvcore does (numpy's optimal contraction path).
* convolutions, grouped and dilated included: ``N * prod(weight.shape) * prod(out spatial)``;
  transposed convolutions on the *input* spatial size.
* batch norm: ``2 * numel`` at inference (``1`` without affine), ``5 * numel`` when it
  normalises with batch statistics; group / layer / instance norm: ``5 * numel`` (``4``
  without affine).
* ``upsample_nearest2d``: 1 per output element, ``upsample_bilinear2d`` and ``grid_sample``:
  4 per output element, ``adaptive_avg_pool2d`` (and ``interpolate(mode='area')``, which is
  one): 1 per input element.
* scaled-dot-product attention, every backend (math, flash, memory-efficient, cuDNN, CPU
  flash): its two matrix products. fvcore itself does not count fused attention; on unfused
  attention (timm's ``fused_attn=False``) it counts the same two products.

Everything else counts 0, as in fvcore: data movement (``FREE_OPS``, fvcore's ignore list)
and the ops fvcore has no rule for although they compute something (``UNCOUNTED_OPS``:
element-wise arithmetic and activations, softmax, reductions, max/avg pooling, bicubic and
anti-aliased resampling, and the RoI ops (``roi_align``, ``roi_pool``, ``nms``), which fvcore
skips: detection heads are counted without their RoI feature extraction). An op in none of
these lists is counted 0 and named in one warning, so a missing rule never goes unnoticed.

Two layers see the ops: a ``TorchFunctionMode`` catches the few composite functions whose
fvcore count differs from their decomposition (``adaptive_avg_pool2d`` with a 1x1 output
runs as ``mean``; ``einsum``; broadcasting ``matmul``; attention), and a
``TorchDispatchMode`` counts the aten ops everything else runs as.
"""
from __future__ import annotations

import copy
import logging
import math
import re
from collections import Counter
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ['FREE_OPS', 'FlopCounter', 'UNCOUNTED_OPS', 'count_flops', 'meta_copy']

logger = logging.getLogger('snnet_mm')


def _shape(t: Any) -> tuple[int, ...]:
    return tuple(t.shape)


def _numel(t: Any) -> int:
    return math.prod(_shape(t))


# ----------------------------------------------------------------- aten-level rules
def _mm(args: tuple, out: Any) -> int:
    (m, k), n = _shape(args[0]), _shape(args[1])[-1]
    return m * k * n


def _addmm(args: tuple, out: Any) -> int:
    return _mm(args[1:], out)


def _bmm(args: tuple, out: Any) -> int:
    (b, m, k), n = _shape(args[0]), _shape(args[1])[-1]
    return b * m * k * n


def _baddbmm(args: tuple, out: Any) -> int:
    return _bmm(args[1:], out)


def _mv(args: tuple, out: Any) -> int:
    return _numel(args[0])


def _conv(args: tuple, out: Any) -> int:
    x, weight, transposed = args[0], args[1], bool(args[6])
    spatial = _shape(x)[2:] if transposed else _shape(out)[2:]
    return _shape(x)[0] * _numel(weight) * math.prod(spatial)


def _norm(numel: int, affine: bool, batch_stats: bool = True) -> int:
    if batch_stats:
        return numel * (5 if affine else 4)
    return numel * (2 if affine else 1)


def _batch_norm_training_at(index: int | None) -> Callable[[tuple, Any], int]:
    """Batch-norm rule for an aten overload whose ``training`` flag is ``args[index]``."""
    def rule(args: tuple, out: Any) -> int:
        training = True if index is None else bool(args[index])
        return _norm(_numel(args[0]), args[1] is not None, training)
    return rule


def _batch_norm_inference(args: tuple, out: Any) -> int:
    return _norm(_numel(args[0]), args[1] is not None, False)


def _group_norm(args: tuple, out: Any) -> int:
    return _norm(_numel(args[0]), args[1] is not None)


def _layer_norm(args: tuple, out: Any) -> int:
    return _norm(_numel(args[0]), len(args) > 2 and args[2] is not None)


def _first_output(out: Any) -> Any:
    return out[0] if isinstance(out, (tuple, list)) else out


def _per_output(scale: int) -> Callable[[tuple, Any], int]:
    return lambda args, out: scale * _numel(_first_output(out))


def _per_input(args: tuple, out: Any) -> int:
    return _numel(args[0])


def _attention(q: Any, k: Any, v: Any) -> int:
    """The two matrix products of attention: ``Q K^T`` and ``softmax(.) V``."""
    q, k, v = _shape(q), _shape(k), _shape(v)
    batch = math.prod(q[:-2])
    return batch * q[-2] * q[-1] * k[-2] + batch * q[-2] * k[-2] * v[-1]


def _sdpa(args: tuple, out: Any) -> int:
    return _attention(*args[:3])


_ATEN_RULES: dict[str, Callable[[tuple, Any], int]] = {
    'aten::mm': _mm,
    'aten::addmm': _addmm,
    'aten::bmm': _bmm,
    'aten::baddbmm': _baddbmm,
    'aten::mv': _mv,
    'aten::addmv': lambda args, out: _mv(args[1:], out),
    'aten::dot': lambda args, out: _numel(args[0]),
    'aten::convolution': _conv,
    'aten::_convolution': _conv,
    'aten::native_batch_norm': _batch_norm_training_at(5),
    'aten::_native_batch_norm_legit': _batch_norm_training_at(5),
    'aten::_native_batch_norm_legit_no_training': _batch_norm_inference,
    'aten::_batch_norm_with_update': _batch_norm_training_at(None),
    'aten::_batch_norm_no_update': _batch_norm_inference,
    'aten::cudnn_batch_norm': _batch_norm_training_at(5),
    'aten::miopen_batch_norm': _batch_norm_training_at(5),
    'aten::native_group_norm': _group_norm,
    'aten::native_layer_norm': _layer_norm,
    'aten::upsample_nearest2d': _per_output(1),
    'aten::upsample_bilinear2d': _per_output(4),
    'aten::grid_sampler_2d': _per_output(4),
    'aten::grid_sampler_3d': _per_output(4),
    'aten::adaptive_avg_pool2d': _per_input,
    'aten::_adaptive_avg_pool2d': _per_input,
    'aten::_scaled_dot_product_attention_math': _sdpa,
    'aten::_scaled_dot_product_flash_attention': _sdpa,
    'aten::_scaled_dot_product_flash_attention_for_cpu': _sdpa,
    'aten::_scaled_dot_product_efficient_attention': _sdpa,
    'aten::_scaled_dot_product_cudnn_attention': _sdpa,
    'aten::_scaled_dot_product_fused_attention_overrideable': _sdpa,
}

# No arithmetic: views, copies, creation, indexing, comparisons (fvcore's ignore list and
# the aten ops those decompose into).
FREE_OPS = frozenset(f'aten::{n}' for n in '''
    Int ScalarImplicit __and__ __or__ _local_scalar_dense _reshape_alias _to_copy _unsafe_view alias
    all any arange argmax argmin argsort as_strided bitwise_and bitwise_not bitwise_or bitwise_xor cat
    chunk clamp clamp_max clamp_min clone constant_pad_nd contiguous copy detach dropout empty
    empty_like empty_strided eq expand expand_as feature_dropout fill flatten flip floor floor_divide
    full full_like gather ge gt index index_put index_select isinf isnan le lift lift_fresh
    lift_fresh_copy linspace logical_and logical_not logical_or lt masked_fill masked_select max min
    narrow native_dropout ne new_empty new_empty_strided new_full new_ones new_zeros nonzero ones
    ones_like pad permute relu remainder repeat reshape resolve_conj resolve_neg roll scalar_tensor
    scatter select slice sort split split_with_sizes squeeze stack t to topk transpose type_as
    unbind unflatten unsqueeze view where zero zeros zeros_like _assert_async sym_size
    '''.split())

# Compute that fvcore leaves uncounted (its "unsupported" ops), and so does this counter.
UNCOUNTED_OPS = frozenset('''
    aten::abs aten::add aten::addcmul aten::addcdiv aten::avg_pool2d aten::ceil aten::cos aten::cumsum
    aten::div aten::elu aten::erf aten::exp aten::gelu aten::hardsigmoid aten::hardswish aten::hardtanh
    aten::leaky_relu aten::log aten::log2 aten::log_softmax aten::_log_softmax aten::max_pool2d
    aten::max_pool2d_with_indices aten::maximum aten::mean aten::minimum aten::mish aten::mul aten::neg
    aten::norm aten::linalg_vector_norm aten::pow aten::reciprocal aten::round aten::rsqrt aten::rsub
    aten::sigmoid aten::silu aten::sin aten::softmax aten::_softmax aten::softplus aten::sqrt
    aten::std aten::sub aten::sum aten::tanh aten::var aten::var_mean
    aten::upsample_bicubic2d aten::_upsample_bicubic2d_aa aten::_upsample_bilinear2d_aa
    aten::_upsample_nearest_exact2d aten::upsample_nearest1d aten::upsample_nearest3d
    aten::upsample_linear1d aten::upsample_trilinear3d aten::adaptive_max_pool2d
    torchvision::roi_align torchvision::roi_pool torchvision::ps_roi_align torchvision::ps_roi_pool
    torchvision::nms
    '''.split())

_WARNED: set[str] = set()


def _op_name(func: Any) -> str:
    name = func.overloadpacket.__name__
    if name.endswith('_') and not name.endswith('__'):
        name = name[:-1]  # in-place variant: same rule
    return f'{func.namespace}::{name}'


# ----------------------------------------------------------------- function-level rules
def _matmul(args: tuple, kwargs: dict) -> int | None:
    a, b = args[0], args[1]
    if a.dim() < 2 or b.dim() < 2:
        return None  # vector products: counted by the aten ops they run as
    return _numel(a) * _shape(b)[-1]


def _rmatmul(args: tuple, kwargs: dict) -> int | None:
    return _matmul((args[1], args[0]), kwargs)


def _adaptive_avg_pool(args: tuple, kwargs: dict) -> int:
    return _numel(args[0])


def _interpolate(args: tuple, kwargs: dict) -> int | None:
    mode = kwargs.get('mode', args[3] if len(args) > 3 else 'nearest')
    if mode == 'area' and args[0].dim() == 4:
        return _numel(args[0])  # runs as adaptive_avg_pool2d
    return None


def _sdpa_function(args: tuple, kwargs: dict) -> int:
    names = ('query', 'key', 'value')
    return _attention(*(args[i] if i < len(args) else kwargs[names[i]] for i in range(3)))


def _einsum(args: tuple, kwargs: dict) -> int:
    equation = args[0].replace(' ', '')
    operands = args[1] if len(args) == 2 and isinstance(args[1], (list, tuple)) else args[1:]
    shapes = [_shape(t) for t in operands]
    letters = dict.fromkeys(c for c in equation if c.isalpha())
    equation = equation.translate({ord(c): 97 + i for i, c in enumerate(letters)})
    if equation == 'abc,abd->acd':
        (n, c, t), p = shapes[0], shapes[-1][-1]
        return n * c * t * p
    if equation == 'abc,adc->adb':
        (n, t, g), c = shapes[0], shapes[-1][1]
        return n * t * g * c
    views = [np.lib.stride_tricks.as_strided(np.zeros(1), s, [0] * len(s)) for s in shapes]
    info = np.einsum_path(equation, *views, optimize='optimal')[1]
    match = re.search(r'optimized flop count:\s*([0-9.e+]+)', info, re.IGNORECASE)
    return int(math.floor(float(match.group(1)) / 2))


_FUNCTION_RULES: dict[Any, Callable[[tuple, dict], int | None]] = {
    torch.matmul: _matmul,
    torch.Tensor.matmul: _matmul,
    torch.Tensor.__matmul__: _matmul,
    torch.Tensor.__rmatmul__: _rmatmul,
    torch.einsum: _einsum,
    F.adaptive_avg_pool2d: _adaptive_avg_pool,
    F.interpolate: _interpolate,
    F.scaled_dot_product_attention: _sdpa_function,
}


class _Functions(TorchFunctionMode):
    def __init__(self, counter: 'FlopCounter') -> None:
        super().__init__()
        self.counter = counter

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        rule = _FUNCTION_RULES.get(func)
        flops = None if rule is None or self.counter._inside else rule(args, kwargs)
        if flops is None:  # no function-level rule here: the aten ops it runs are counted
            return func(*args, **kwargs)
        self.counter._inside = True
        try:
            out = func(*args, **kwargs)
        finally:
            self.counter._inside = False
        self.counter.flops += int(flops)
        return out


class _Ops(TorchDispatchMode):
    def __init__(self, counter: 'FlopCounter') -> None:
        super().__init__()
        self.counter = counter

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if not self.counter._inside:
            self.counter._count_op(func, args, out)
        return out


class FlopCounter:
    """Counts fvcore-rule FLOPs of the torch ops run inside the context (``.flops``).

    Ops with no rule are counted 0 and logged in one warning (``.unknown`` lists them).
    """

    def __init__(self) -> None:
        self.flops = 0
        self.unknown: Counter[str] = Counter()
        self._inside = False
        self._modes = (_Functions(self), _Ops(self))

    def __enter__(self) -> 'FlopCounter':
        # Deterministic mode (MMEngine's randomness.deterministic) swaps some kernels for
        # decompositions, e.g. bilinear upsampling into _unsafe_index ops, which fvcore's rules
        # do not name: count the ops a normal forward runs.
        self._deterministic = (torch.are_deterministic_algorithms_enabled(),
                               torch.is_deterministic_algorithms_warn_only_enabled())
        torch.use_deterministic_algorithms(False)
        for mode in self._modes:
            mode.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        for mode in reversed(self._modes):
            mode.__exit__(*exc)
        enabled, warn_only = self._deterministic
        torch.use_deterministic_algorithms(enabled, warn_only=warn_only)
        new = sorted(set(self.unknown) - _WARNED)
        if new:
            _WARNED.update(new)
            logger.warning('FLOPs not counted for ops without a counting rule: '
                           + ', '.join(f'{n} (x{self.unknown[n]})' for n in new))

    def _count_op(self, func: Any, args: tuple, out: Any) -> None:
        name = _op_name(func)
        rule = _ATEN_RULES.get(name)
        if rule is not None:
            self.flops += int(rule(args, out))
        elif name not in FREE_OPS and name not in UNCOUNTED_OPS:
            self.unknown[name] += 1


def meta_copy(module: nn.Module) -> nn.Module:
    """Structure-only copy of ``module`` whose tensors live on the meta device (no data copied).

    Attention modules with a ``fused_attn`` switch (timm) run unfused, as fvcore traces them.
    """
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
