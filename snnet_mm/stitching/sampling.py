"""Stitch sampling for SN-Net training, reproducible from (seed, iteration) alone.

Each draw uses a fresh generator seeded with ``(seed, iteration)``: every DDP rank draws the
same stitch in the same iteration regardless of per-rank seeds, and the sequence after a
resume equals the uninterrupted one, with no sampler state to checkpoint.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

STRATEGIES = ('flops_grouped', 'uniform')


def group_by_flops(flops: Sequence[float], candidates: Sequence[int], gap: float) -> list[list[int]]:
    """SN-Netv2 resource-constrained groups.

    Candidates are sorted by FLOPs; a new group starts whenever a stitch costs more than
    ``gap`` above the first member of the current group.

    Args:
        flops: FLOPs of every stitch (any unit, the same as ``gap``).
        candidates: Stitch indices to group.
        gap: Largest FLOPs distance from a group's first member.

    Returns:
        Groups of stitch indices, cheapest group first.
    """
    if not gap > 0 or not math.isfinite(gap):  # NaN fails every comparison: one group per stitch
        raise ValueError(f'gap: expected a finite, positive FLOPs gap, got {gap!r}')
    groups: list[list[int]] = []
    for i in sorted(candidates, key=lambda i: (flops[i], i)):
        if groups and flops[i] - flops[groups[-1][0]] <= gap:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


class StitchSampler:
    """Draws one stitch per iteration.

    Args:
        groups: Groups of stitch indices. ``'flops_grouped'`` picks a group uniformly, then a
            stitch uniformly inside it; ``'uniform'`` picks uniformly among all stitches.
        strategy: One of ``STRATEGIES``.
        seed: Shared seed (e.g. the runner's seed).
    """

    def __init__(self, groups: Sequence[Sequence[int]], *, strategy: str = 'flops_grouped', seed: int = 0) -> None:
        if strategy not in STRATEGIES:
            raise ValueError(f'strategy: expected one of {STRATEGIES}, got {strategy!r}')
        self.groups = [list(g) for g in groups if len(g)]
        if not self.groups:
            raise ValueError('groups: no stitch to sample from')
        self.strategy = strategy
        self.seed = int(seed)
        self._all = [i for g in self.groups for i in g]

    @property
    def num_stitches(self) -> int:
        return len(self._all)

    def sample(self, iteration: int) -> int:
        """The stitch of ``iteration`` (a pure function of seed and iteration)."""
        rng = np.random.default_rng([self.seed & 0xFFFFFFFF, int(iteration)])
        if self.strategy == 'uniform':
            return self._all[rng.integers(len(self._all))]
        group = self.groups[rng.integers(len(self.groups))]
        return group[rng.integers(len(group))]
