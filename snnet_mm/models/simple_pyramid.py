"""``SimpleFeaturePyramid``: ViTDet's simple feature pyramid as an MMEngine neck.

A plain ViT has one feature map at stride 16. ViTDet (Li et al., "Exploring Plain Vision
Transformer Backbones for Object Detection", 2022) builds a pyramid from that last map alone:
strides 4 and 8 by 2x2 deconvolutions (with a channel LayerNorm and GELU between two of them),
stride 16 as is, stride 32 by 2x2 max pooling; each level then goes through a 1x1 and a 3x3
convolution (both followed by the norm), and the extra top level RPN needs (stride 64) is a
stride-2 subsampling of the last level (detectron2's ``LastLevelMaxPool``).

Registered in MMEngine's root ``MODELS`` (with the channel-wise ``LN2d`` norm), so
``type='SimpleFeaturePyramid'`` and ``norm_cfg=dict(type='LN2d')`` resolve from the mmdet scope.
Needs only torch and MMEngine.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.registry import MODELS
from torch import nn

from ..utils.checks import check_int, check_one_of

NORMS = ('LN', 'GN', 'BN')


@MODELS.register_module(name='LN2d')
class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an NCHW map (ViTDet's ``LayerNorm`` for conv features).

    Args:
        num_channels: Channels normalised.
        eps: Numerical stability term.
        elementwise_affine: Learn a per-channel scale and shift.
    """

    def __init__(self, num_channels: int, eps: float = 1e-6, elementwise_affine: bool = True) -> None:
        super().__init__(num_channels, eps=eps, elementwise_affine=elementwise_affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


def _norm(kind: str | None, channels: int) -> nn.Module:
    if kind is None:
        return nn.Identity()
    if kind == 'LN':
        return LayerNorm2d(channels)
    if kind == 'GN':
        return nn.GroupNorm(32, channels)
    return nn.BatchNorm2d(channels)


@MODELS.register_module()
class SimpleFeaturePyramid(BaseModule):
    """ViTDet simple feature pyramid from the last stride-16 map of a plain ViT.

    Output level ``k`` has stride ``input_stride / scale_factors[k]``; then ``num_extra_levels``
    stride-2 subsamplings of the last level follow (default one: the stride-64 level of
    Mask R-CNN's RPN). Every output has ``out_channels`` channels. Output shapes for a given
    input map are ``output_shapes(height, width)``; the strides are ``out_strides``.

    Args:
        in_channels: Channels of the backbone map (for ``SNNetv2``: the large anchor's width).
        out_channels: Channels of every pyramid level.
        scale_factors: Resolution factor of each level relative to the input map, powers of two
            in decreasing order; ``(4.0, 2.0, 1.0, 0.5)`` gives strides 4, 8, 16, 32.
        input_stride: Stride of the backbone map (the ViT patch size).
        num_extra_levels: Extra coarser levels, each a stride-2 subsampling of the previous
            top level (detectron2's ``LastLevelMaxPool``).
        strides: Optional declared output strides (e.g. the RPN anchor generator's); a mismatch
            with the strides implied by the other arguments is an error at construction.
        norm: Norm after the deconvolution and the convolutions: ``'LN'`` (LayerNorm over
            channels, as in ViTDet), ``'GN'`` (32 groups), ``'BN'`` or ``None`` (conv biases).
            LayerNorm can erase what small anchors' tokens carry (the quickstart's digit anchors:
            its Mask R-CNN learned nothing with it), so that config uses ``None``.
        in_index: Which backbone output to use when the backbone returns several maps.
        init_cfg: MMEngine init config; default: detectron2's ``c2_xavier_fill`` for the
            convolutions (Kaiming uniform, ``a=1``).

    Raises:
        ValueError: A field has an invalid value (the message names the field and the value).
    """

    def __init__(
            self,
            *,
            in_channels: int,
            out_channels: int = 256,
            scale_factors: Sequence[float] = (4.0, 2.0, 1.0, 0.5),
            input_stride: int = 16,
            num_extra_levels: int = 1,
            strides: Sequence[int] | None = None,
            norm: str | None = 'LN',
            in_index: int = -1,
            init_cfg: dict | list | None = None,
    ) -> None:
        if init_cfg is None:
            init_cfg = dict(type='Kaiming', layer='Conv2d', a=1, mode='fan_in', nonlinearity='leaky_relu',
                            distribution='uniform', bias=0)
        super().__init__(init_cfg=init_cfg)
        check_int(in_channels, 'in_channels', minimum=1)
        check_int(out_channels, 'out_channels', minimum=1)
        check_int(input_stride, 'input_stride', minimum=1)
        check_int(num_extra_levels, 'num_extra_levels', minimum=0)
        check_one_of(norm, 'norm', (*NORMS, None))
        check_int(in_index, 'in_index')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.input_stride = input_stride
        self.num_extra_levels = num_extra_levels
        self.in_index = in_index
        self.norm = norm
        self.scale_factors = self._check_scale_factors(scale_factors, in_channels, input_stride)
        out_strides = [round(input_stride / s) for s in self.scale_factors]
        out_strides += [out_strides[-1] * 2 ** (k + 1) for k in range(num_extra_levels)]
        self.out_strides: tuple[int, ...] = tuple(out_strides)
        if strides is not None and tuple(int(s) for s in strides) != self.out_strides:
            raise ValueError(
                f'strides: declared {list(strides)}, but scale_factors={list(self.scale_factors)} on a '
                f'stride-{input_stride} map with num_extra_levels={num_extra_levels} give '
                f'{list(self.out_strides)}')
        if norm == 'GN' and (out_channels % 32 or any(c % 32 for c in self._level_channels())):
            raise ValueError(f"norm: 'GN' uses 32 groups, but the levels have "
                             f'{sorted(set(self._level_channels()) | {out_channels})} channels')
        self.stages = nn.ModuleList(
            self._build_stage(scale, channels) for scale, channels in zip(self.scale_factors, self._level_channels()))

    # -------------------------------------------------------------- construction
    @staticmethod
    def _check_scale_factors(scale_factors, in_channels: int, input_stride: int) -> tuple[float, ...]:
        if isinstance(scale_factors, (str, bytes)) or not isinstance(scale_factors, Sequence) or not scale_factors:
            raise ValueError(f'scale_factors: expected a non-empty sequence of powers of two, got {scale_factors!r}')
        scales = []
        for s in scale_factors:
            if not isinstance(s, (int, float)) or isinstance(s, bool) or s <= 0 or not math.log2(s).is_integer():
                raise ValueError(f'scale_factors: {s!r} is not a power of two (e.g. 4.0, 2.0, 1.0, 0.5); '
                                 f'got {list(scale_factors)}')
            scales.append(float(s))
        if any(a <= b for a, b in zip(scales, scales[1:])):
            raise ValueError(f'scale_factors: expected strictly decreasing factors (fine to coarse), '
                             f'got {list(scale_factors)}')
        for s in scales:
            if s > 1 and in_channels % round(s):
                raise ValueError(f'scale_factors: {s} halves the channels {int(math.log2(s))} time(s), which '
                                 f'needs in_channels divisible by {round(s)}; got in_channels={in_channels}')
            if input_stride / s < 1 or not float(input_stride / s).is_integer():
                raise ValueError(f'scale_factors: {s} on a stride-{input_stride} map gives stride '
                                 f'{input_stride / s}, not a positive integer')
        return tuple(scales)

    def _level_channels(self) -> list[int]:
        """Channels entering each level's 1x1 conv (deconvolutions halve them)."""
        return [self.in_channels // round(s) if s > 1 else self.in_channels for s in self.scale_factors]

    def _build_stage(self, scale: float, channels: int) -> nn.Sequential:
        layers: list[nn.Module] = []
        if scale > 1:
            dim = self.in_channels
            for k in range(int(math.log2(scale))):
                if k > 0:
                    layers += [_norm(self.norm, dim), nn.GELU()]
                layers.append(nn.ConvTranspose2d(dim, dim // 2, kernel_size=2, stride=2))
                dim //= 2
        elif scale < 1:
            size = round(1 / scale)
            layers.append(nn.MaxPool2d(kernel_size=size, stride=size))
        bias = self.norm is None
        layers += [nn.Conv2d(channels, self.out_channels, 1, bias=bias), _norm(self.norm, self.out_channels),
                   nn.Conv2d(self.out_channels, self.out_channels, 3, padding=1, bias=bias),
                   _norm(self.norm, self.out_channels)]
        return nn.Sequential(*layers)

    # -------------------------------------------------------------- contract
    @property
    def num_outs(self) -> int:
        return len(self.out_strides)

    def output_shapes(self, height: int, width: int) -> list[tuple[int, int, int]]:
        """(channels, height, width) of every output for an input map of ``height`` x ``width``."""
        shapes = []
        for s in self.scale_factors:
            if s >= 1:
                shapes.append((round(height * s), round(width * s)))
            else:
                k = round(1 / s)
                shapes.append((height // k, width // k))
        for _ in range(self.num_extra_levels):
            h, w = shapes[-1]
            shapes.append(((h + 1) // 2, (w + 1) // 2))
        return [(self.out_channels, h, w) for h, w in shapes]

    # -------------------------------------------------------------- forward
    def forward(self, inputs: torch.Tensor | Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
        """Pyramid from one backbone map (or ``inputs[in_index]`` of the backbone's outputs).

        Raises:
            ValueError: The map is not NCHW with ``in_channels`` channels, or too small.
        """
        if isinstance(inputs, torch.Tensor):
            x = inputs
        else:
            if not -len(inputs) <= self.in_index < len(inputs):
                raise ValueError(f'in_index: {self.in_index} is out of range for the backbone\'s '
                                 f'{len(inputs)} output(s)')
            x = inputs[self.in_index]
            if isinstance(x, (tuple, list)):  # (map, class token) pairs: the map
                x = x[0]
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'in_channels: the neck expects NCHW maps with {self.in_channels} channels, '
                             f'got a map of shape {tuple(x.shape)}; set in_channels to the backbone width '
                             '(for SNNetv2, the width of the most expensive anchor)')
        if min(x.shape[-2:]) * min(self.scale_factors) < 1:
            raise ValueError(f'scale_factors: a {tuple(x.shape[-2:])} map is too small for the factor '
                             f'{min(self.scale_factors)}; use larger inputs')
        outs = [stage(x) for stage in self.stages]
        for _ in range(self.num_extra_levels):
            outs.append(F.max_pool2d(outs[-1], kernel_size=1, stride=2))
        return tuple(outs)
