"""Stitching layers: a linear map between anchor widths, least-squares initialised.

The map acts on channels whatever the tensor layout: linear on tokens (ViT) and NHWC maps
(Swin), 1x1 convolution on NCHW maps (ResNet); between layouts (ResNet -> Swin) it also moves
the channels. SN-Netv2 optionally freezes the least-squares weight ``W0`` and trains a low-rank
update ``B @ A`` (LoRA) plus the bias; ``merged`` folds the update into plain modules.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..utils.checks import check_int, check_one_of, is_int
from .families.base import LAYOUTS, channels_last, from_channels_last


class StitchingLinear(nn.Module):
    """Token-wise linear map from ``in_features`` to ``out_features``.

    Args:
        in_features: Width of the source anchor.
        out_features: Width of the destination anchor.
        rank: Rank of the trainable low-rank update (the least-squares weight is then frozen);
            ``None`` trains the full weight.
        alpha: Low-rank scale numerator (update scaled by ``alpha / rank``).
        in_layout: Layout of the input: ``'tokens'``, ``'nhwc'`` or ``'nchw'``.
        out_layout: Layout of the output (tokens stay tokens).

    Raises:
        ValueError: If a width or ``rank`` is not an int >= 1 (not a bool), or a layout is unknown.
    """

    def __init__(self, *, in_features: int, out_features: int, rank: int | None = None,
                 alpha: float = 1.0, in_layout: str = 'tokens', out_layout: str = 'tokens') -> None:
        super().__init__()
        check_int(in_features, 'in_features', minimum=1)
        check_int(out_features, 'out_features', minimum=1)
        if rank is not None and not (is_int(rank) and rank >= 1):
            raise ValueError(f'rank: expected a positive int (or None for a full-rank layer), got {rank!r}')
        check_one_of(in_layout, 'in_layout', LAYOUTS)
        check_one_of(out_layout, 'out_layout', LAYOUTS)
        if (in_layout == 'tokens') != (out_layout == 'tokens'):
            raise ValueError(f'out_layout: tokens map only to tokens, got {in_layout!r} -> {out_layout!r}')
        self.in_layout = in_layout
        self.out_layout = out_layout
        self.in_features = in_features
        self.out_features = out_features
        self.rank = rank
        self.scaling = alpha / rank if rank else 0.0
        self.weight = nn.Parameter(torch.empty(out_features, in_features), requires_grad=rank is None)
        self.bias = nn.Parameter(torch.zeros(out_features))
        if rank:
            self.lora_a = nn.Parameter(torch.empty(rank, in_features))
            self.lora_b = nn.Parameter(torch.zeros(out_features, rank))
        # Persistent so that resumed / loaded checkpoints are never re-initialised.
        self.register_buffer('initialised', torch.tensor(False))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        nn.init.zeros_(self.bias)
        if self.rank:
            nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))
            nn.init.zeros_(self.lora_b)

    def effective_weight(self) -> torch.Tensor:
        """``W0 + scaling * B @ A`` (just ``W0`` without a low-rank update)."""
        if not self.rank:
            return self.weight
        return self.weight + self.scaling * (self.lora_b @ self.lora_a)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.in_layout == self.out_layout == 'nchw':
            return self._conv(x)
        x = channels_last(x, self.in_layout)
        out = F.linear(x, self.weight, self.bias)
        if self.rank:
            out = out + self.scaling * F.linear(F.linear(x, self.lora_a), self.lora_b)
        return from_channels_last(out, self.out_layout)

    def _conv(self, x: torch.Tensor) -> torch.Tensor:
        out = F.conv2d(x, self.weight[:, :, None, None], self.bias)
        if self.rank:
            low = F.conv2d(F.conv2d(x, self.lora_a[:, :, None, None]), self.lora_b[:, :, None, None])
            out = out + self.scaling * low
        return out

    @torch.no_grad()
    def set_solution(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        """Load a least-squares solution into ``W0``/bias and reset the low-rank update."""
        self.weight.copy_(weight)
        self.bias.copy_(bias)
        if self.rank:
            nn.init.zeros_(self.lora_b)
        self.initialised.fill_(True)

    @torch.no_grad()
    def merged_linear(self) -> nn.Linear:
        """A standalone ``nn.Linear`` equal to this layer (low-rank update merged)."""
        linear = nn.Linear(self.in_features, self.out_features, device=self.weight.device,
                           dtype=self.weight.dtype)
        linear.weight.copy_(self.effective_weight())
        linear.bias.copy_(self.bias)
        return linear

    @torch.no_grad()
    def merged(self) -> nn.Module:
        """A standalone module equal to this layer: ``nn.Linear`` on channels-last inputs,
        a 1x1 ``nn.Conv2d`` on NCHW maps, followed or preceded by the layout change."""
        if self.in_layout != 'nchw':
            linear = self.merged_linear()
            return linear if self.out_layout != 'nchw' else nn.Sequential(linear, Permute((0, 3, 1, 2)))
        conv = nn.Conv2d(self.in_features, self.out_features, 1, device=self.weight.device,
                         dtype=self.weight.dtype)
        conv.weight.copy_(self.effective_weight()[:, :, None, None])
        conv.bias.copy_(self.bias)
        return conv if self.out_layout == 'nchw' else nn.Sequential(conv, Permute((0, 2, 3, 1)))

    def extra_repr(self) -> str:
        return (f'{self.in_features} -> {self.out_features}, rank={self.rank}, '
                f'{self.in_layout} -> {self.out_layout}')


class Permute(nn.Module):
    """``x.permute(*dims)`` as a module (layout change inside exported stitches)."""

    def __init__(self, dims: tuple[int, ...]) -> None:
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(*self.dims)

    def extra_repr(self) -> str:
        return f'dims={self.dims}'


class NormalEquations:
    """Accumulates ``[X, 1]^T [X, 1]`` and ``[X, 1]^T Y`` in float64, chunk by chunk.

    Solving the normal equations with a symmetric pseudo-inverse keeps memory independent of the
    number of tokens (50 images of 1024 tokens for segmentation) and handles rank deficiency.
    """

    def __init__(self, in_features: int, out_features: int, device: torch.device) -> None:
        self.gram = torch.zeros(in_features + 1, in_features + 1, dtype=torch.float64, device=device)
        self.cross = torch.zeros(in_features + 1, out_features, dtype=torch.float64, device=device)
        self.count = 0

    def add(self, x: torch.Tensor, y: torch.Tensor) -> None:
        x = x.reshape(-1, x.shape[-1]).to(torch.float64)
        y = y.reshape(-1, y.shape[-1]).to(torch.float64)
        x1 = torch.cat([x, x.new_ones(x.shape[0], 1)], dim=1)
        self.gram += x1.T @ x1
        self.cross += x1.T @ y
        self.count += x.shape[0]

    def solve(self, *, rcond: float | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Least-squares ``(weight, bias)`` with ``weight`` of shape (out, in).

        Args:
            rcond: Relative cut-off on the singular values of ``[X, 1]``: directions below
                ``rcond * s_max`` are discarded (a regulariser). ``None``: float64 precision
                (``pinv``'s default on the Gram matrix); ``'fp32'``: ``max(tokens, in + 1) *
                eps(float32)``, what ``torch.linalg.pinv`` of ``[X, 1]`` in float32 discards (the
                official SN-Net solve); a float: that ratio.
        """
        if self.count == 0:
            raise ValueError('images: no tokens were accumulated for the least-squares fit')
        ratio = ls_cutoff(rcond, tokens=self.count, features=self.gram.shape[0])
        # Eigenvalues of the Gram matrix are squared singular values of [X, 1].
        rtol = None if ratio is None else ratio ** 2
        solution = torch.linalg.pinv(self.gram, rtol=rtol, hermitian=True) @ self.cross
        return solution[:-1].T.contiguous(), solution[-1].contiguous()



def ls_cutoff(rcond: float | str | None, *, tokens: int, features: int) -> float | None:
    """The relative singular-value cut-off that ``rcond`` stands for (see ``NormalEquations.solve``).

    Raises:
        ValueError: On an ``rcond`` that is not None, ``'fp32'`` or a float in [0, 1).
    """
    if rcond is None:
        return None
    if rcond == 'fp32':
        return max(tokens, features) * torch.finfo(torch.float32).eps
    if isinstance(rcond, bool) or not isinstance(rcond, (int, float)) or not 0 <= rcond < 1:
        raise ValueError(f"rcond: expected None, 'fp32' or a number in [0, 1), got {rcond!r}")
    return float(rcond)
