"""SN-Net v1 configuration ids (``cfg_id``) <-> our stitch indices, for the four official code bases.

The official v1 code (``ziplab/SN-Net``) numbers its configurations the same way in all four code
bases, re-implemented here from that description:

- ids ``0 .. n-1``: the anchors alone, cheapest first;
- then the stitches between neighbouring anchors ``(a, a + 1)``, each leaving anchor ``a`` after
  its front block ``f`` and entering anchor ``a + 1`` at its end block ``e``:

  * plain ViTs (``stitching_deit``: one stage, equal depths): pair by pair, the positions of a
    sliding window (kernel 2, stride 1) in window order, every ``(f, e)`` pair inside the window,
    ``f >= e`` included; one stitching layer per window;
  * hierarchical anchors (``stitching_swin``, ``stitching_resnet_swin``, ``stitching_levit``):
    stage by stage (only the stitchable stages), then pair by pair, then by ``(f, e)``: equal
    stage depths give ``(j, j + 1)`` through layer ``j``; unequal ones ``(m(e), e)`` for every
    ``e > m(e)``, ``m(e) = floor(e * Df / De)``, where the ``k``-th of them uses layer
    ``floor(k * Df / De)`` (the official ``unpaired_stitching`` zips the stitches with the end
    blocks' mapping, so a stitch's layer is not its front block's).

Official stitching layers are ``stitch_layers.{pair}.{layer}`` (plain ViTs) and
``stitch_layers.{stage slot}.{pair}.{layer}`` (hierarchical; the slot counts stitchable stages
from 0, so ResNet stage 1 is slot 0). Our stitches carry the same routes; an official stitch maps
to the one of ours with the same route.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from ..stitching.selection import STRING_FORMS
from ..stitching.stitch import Segment, Stitch, stage_pairs

V1_PREFIX = 'v1:'
_STAGE_KEY = re.compile(r'a(\d+)_to_a(\d+)_s(\d+)_f(\d+)_e(\d+)')
_WINDOW_KEY = re.compile(r'a(\d+)_to_a(\d+)_win(\d+)')


@dataclass(frozen=True)
class V1Stitch:
    """One official SN-Net v1 configuration.

    Attributes:
        id: Official ``cfg_id``.
        segments: Route as block segments ``[start, end)`` (flat block indices of each anchor).
        layer: Address of its official stitching layer: ``(pair, layer)`` for plain ViTs,
            ``(stage slot, pair, layer)`` for hierarchical anchors; ``()`` for an anchor.
        stage: Stage the stitch stays in (``None`` for anchors and plain ViTs).
        blocks: ``(front block, end block)`` inside the stage (``None`` for anchors).
    """

    id: int
    segments: tuple[Segment, ...]
    layer: tuple[int, ...]
    stage: int | None = None
    blocks: tuple[int, int] | None = None


def window_positions(depth: int, kernel: int = 2, stride: int = 1, *, forward_only: bool = False) -> list[tuple[int, int, int]]:
    """Official sliding-window positions ``(front block, end block, layer)`` for equal depths.

    ``forward_only`` keeps ``front < end`` only (the hierarchical code bases); the plain-ViT code
    keeps every pair inside a window.
    """
    seen: list[tuple[int, int]] = []
    positions = []
    layer = 0
    for start in range(0, depth, stride):
        ids = range(start, min(start + kernel, depth))
        new = [(j, k) for j in ids for k in ids if (j, k) not in seen and not (forward_only and j >= k)]
        if new:
            seen += new
            positions += [(j, k, layer) for j, k in new]
            layer += 1
    return positions


def stage_positions(depth_front: int, depth_end: int) -> list[tuple[int, int, int]]:
    """Official ``(front block, end block, layer)`` of one stage of a hierarchical pair."""
    if depth_front == depth_end:
        return window_positions(depth_front, forward_only=True)
    pairs = stage_pairs(depth_front, depth_end)
    return [(f, e, k * depth_front // depth_end) for k, (f, e) in enumerate(pairs)]


def v1_stitches(depths: Sequence[int | Sequence[int]], *, stages: Sequence[int] = ()) -> tuple[V1Stitch, ...]:
    """Every official v1 configuration, in ``cfg_id`` order.

    Args:
        depths: Plain ViTs: each anchor's depth (equal depths). Hierarchical anchors: each
            anchor's stage depths, cheapest anchor first.
        stages: Hierarchical anchors: the stitchable stages (ResNet / ResNet-Swin 1-2, Swin 0-2,
            LeViT 0-1).

    Raises:
        ValueError: Fewer than two anchors, unequal plain-ViT depths, or a stage deeper in a
            cheaper anchor.
    """
    if len(depths) < 2:
        raise ValueError(f'depths: at least two anchors are needed, got {list(depths)}')
    hierarchical = not isinstance(depths[0], int)
    flat = [list(d) if hierarchical else [d] for d in depths]
    totals = [sum(d) for d in flat]
    out = [V1Stitch(i, (Segment(i, 0, t),), ()) for i, t in enumerate(totals)]
    if not hierarchical:
        if len(set(totals)) != 1:
            raise ValueError(f'depths: the official plain-ViT code stitches equal depths, got {list(depths)}')
        for a in range(len(totals) - 1):
            for f, e, k in window_positions(totals[a]):
                out.append(V1Stitch(len(out), (Segment(a, 0, f + 1), Segment(a + 1, e, totals[a + 1])), (a, k),
                                    None, (f, e)))
        return tuple(out)
    for slot, st in enumerate(stages):
        for a in range(len(flat) - 1):
            df, de = flat[a][st], flat[a + 1][st]
            if df > de:
                raise ValueError(f'depths: stage {st} of anchor {a} ({df} blocks) is deeper than in anchor {a + 1} ({de})')
            off_f, off_e = sum(flat[a][:st]), sum(flat[a + 1][:st])
            for f, e, k in stage_positions(df, de):
                out.append(V1Stitch(len(out), (Segment(a, 0, off_f + f + 1), Segment(a + 1, off_e + e, totals[a + 1])),
                                    (slot, a, k), st, (f, e)))
    return tuple(out)


@dataclass(frozen=True)
class V1Release:
    """One published SN-Net v1 model: its anchors (timm names, cheapest first) and stitch space."""

    code_base: str
    anchors: tuple[str, ...]
    depths: tuple[int | tuple[int, ...], ...]
    stages: tuple[int, ...] = ()


#: The five published v1 models by name (``tools/import_published.py --v1 NAME``).
V1_RELEASES = {
    'deit-ti-s-b': V1Release('stitching_deit', ('deit_tiny_patch16_224', 'deit_small_patch16_224',
                                                'deit_base_patch16_224'), (12, 12, 12)),
    'swin-t-s-b': V1Release('stitching_swin', ('swin_tiny_patch4_window7_224', 'swin_small_patch4_window7_224',
                                               'swin_base_patch4_window7_224'),
                            ((2, 2, 6, 2), (2, 2, 18, 2), (2, 2, 18, 2)), (0, 1, 2)),
    'r18-r50': V1Release('stitching_resnet_swin', ('resnet18', 'resnet50'), ((2, 2, 2, 2), (3, 4, 6, 3)), (1, 2)),
    'r18-swin-t': V1Release('stitching_resnet_swin', ('resnet18', 'swin_tiny_patch4_window7_224'),
                            ((2, 2, 2, 2), (2, 2, 6, 2)), (1, 2)),
    'levit-192-256': V1Release('stitching_levit', ('levit_192', 'levit_256'), ((4, 4, 4), (4, 4, 4)), (0, 1)),
}


def v1_release(name: str) -> V1Release:
    """The published v1 model ``name`` (a key of ``V1_RELEASES``)."""
    if name not in V1_RELEASES:
        raise ValueError(f'v1: unknown SN-Net v1 model {name!r}; expected one of {sorted(V1_RELEASES)}')
    return V1_RELEASES[name]


# ------------------------------------------------------------------ ids from our stitches alone
def _v1_sort_key(stitch: Stitch, position: int) -> tuple[int, ...] | None:
    """Where an SL stitch of ours sits in the official order (``None``: not a v1 stitch)."""
    if stitch.kind != 'SL' or len(stitch.layers) != 1:
        return None
    if m := _STAGE_KEY.fullmatch(stitch.layers[0]):
        src, dst, stage, f, e = map(int, m.groups())
        return (stage, src, f, e) if dst == src + 1 else None
    if m := _WINDOW_KEY.fullmatch(stitch.layers[0]):
        src, dst, _ = map(int, m.groups())
        return (0, src, position, 0) if dst == src + 1 else None
    return None  # SN-Netv2 single-stage stitches have no v1 counterpart


def v1_id_map(stitches: Sequence[Stitch]) -> dict[int, int]:
    """Official v1 ``cfg_id`` -> our stitch index, for the v1 stitches among ``stitches``.

    ``stitches`` must hold every anchor and the whole v1 space (a network built without
    ``selected``); SN-Netv2 stitches (reverses, two-way plain-ViT stitches) get no id. Empty when
    the stitches hold no v1 stitch.
    """
    num_anchors = 1 + max((seg.anchor for s in stitches for seg in s.segments), default=-1)
    anchors = sorted((s.first_anchor, i) for i, s in enumerate(stitches) if s.kind == 'anchor')
    keyed = sorted((key, i) for i, s in enumerate(stitches) if (key := _v1_sort_key(s, i)) is not None)
    if not keyed or len(anchors) != num_anchors:
        return {}
    return dict(enumerate([i for _, i in anchors] + [i for _, i in keyed]))


def v1_ids(stitches: Sequence[Stitch]) -> list[int | None]:
    """Official v1 ``cfg_id`` of each of ``stitches`` (``None`` where it has none)."""
    inverse = {i: v for v, i in v1_id_map(stitches).items()}
    return [inverse.get(i) for i in range(len(stitches))]


def _v1_form(arg: str, stitches: Sequence[Stitch], field_name: str) -> int:
    """``STRING_FORMS['v1']``: ``stitch='v1:5'`` wherever a stitch is chosen."""
    if not re.fullmatch(r'\d+', arg):
        raise ValueError(f"{field_name}: expected 'v1:<cfg_id>', got 'v1:{arg}'")
    mapping = v1_id_map(stitches)
    if not mapping:
        raise ValueError(f"{field_name}: 'v1:{arg}' needs an SN-Net v1 stitch space (mode='v1', or the v1 stitches "
                         'of a hierarchical v2 space, with every anchor); these stitches have no v1 ids')
    if int(arg) not in mapping:
        raise ValueError(f'{field_name}: v1 stitch {arg} out of range [0, {len(mapping)}) for these stitches')
    return mapping[int(arg)]


STRING_FORMS.setdefault('v1', _v1_form)
