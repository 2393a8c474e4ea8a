"""Official SN-Netv2 stitch ids <-> our stitch indices, for any pair of depths.

The official code numbers its configurations by one enumeration rule (``ziplab/SN-Netv2``,
``get_stitch_configs_bidirection``), re-implemented here from its description: with depths
``ds <= dl``, ``r = dl // ds`` and ``m(i) = floor(i * ds / dl)`` (nearest interpolation),

- ids 0, 1: the small and the large anchor alone;
- SL, one per small block ``i`` in ``0..ds-1``: leave small after block ``i``, enter large at
  block ``(i + 1) * r`` through ``stitch_layers.0.i``;
- LS, one per large block ``i < dl - 1`` (odd ``i`` only when the depths differ): leave large after
  block ``i``, enter small at block ``m(i) + 1`` through ``stitch_layers.1.(i // r)``;
- LSL: every LS followed by every SL (except the last) leaving the small anchor at or after
  the LS entry block; SLS: every SL followed by every LS leaving the large anchor at or after
  the SL entry block.

The official code never trains the SL stitch leaving the small anchor after its last block
(hard-coded ``front != 11`` for 12 blocks; here: ``i != ds - 1``). An official stitch maps to
our stitch with the same route; excluded or route-less ones map to ``None``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from ..stitching.selection import STRING_FORMS
from ..stitching.stitch import Segment, Stitch, enumerate_stitches

OFFICIAL_PREFIX = 'official:'


@dataclass(frozen=True)
class OfficialStitch:
    """One official configuration.

    Attributes:
        id: Official configuration id.
        kind: ``'anchor'``, ``'SL'``, ``'LS'``, ``'LSL'`` or ``'SLS'``.
        segments: Route as block segments ``[start, end)`` (empty segments are kept).
        layers: Official stitching layers used, as ``(direction, k)`` for ``stitch_layers.direction.k``.
        trained: False for the configuration the official code leaves out of training.
    """

    id: int
    kind: str
    segments: tuple[Segment, ...]
    layers: tuple[tuple[int, int], ...]
    trained: bool


def _check_depths(depths: Sequence[int]) -> tuple[int, int]:
    if len(depths) != 2 or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in depths):
        raise ValueError(f'depths: expected two positive block counts, got {list(depths)!r}')
    ds, dl = sorted(depths)
    return ds, dl


def official_stitches(depths: Sequence[int]) -> tuple[OfficialStitch, ...]:
    """Every official configuration for anchors of ``depths`` blocks, in official id order."""
    ds, dl = _check_depths(depths)
    r = dl // ds
    sl = [(i, (i + 1) * r, i) for i in range(ds)]  # (leave after block, enter at block, layer)
    ls = [(i, i * ds // dl + 1, i // r) for i in range(dl - 1) if ds == dl or i % 2 == 1]
    lsl = [(a, b) for a in ls for b in sl if b[2] != ds - 1 and b[0] >= a[1]]
    sls = [(a, b) for a in sl for b in ls if b[0] >= a[1]]

    out = [OfficialStitch(0, 'anchor', (Segment(0, 0, ds),), (), True),
           OfficialStitch(1, 'anchor', (Segment(1, 0, dl),), (), True)]

    def add(kind: str, segments: list[Segment], layers: list[tuple[int, int]], trained: bool = True) -> None:
        out.append(OfficialStitch(len(out), kind, tuple(segments), tuple(layers), trained))

    for f, e, k in sl:
        add('SL', [Segment(0, 0, f + 1), Segment(1, e, dl)], [(0, k)], trained=f != ds - 1)
    for f, e, k in ls:
        add('LS', [Segment(1, 0, f + 1), Segment(0, e, ds)], [(1, k)])
    for (f1, e1, k1), (f2, e2, k2) in lsl:
        add('LSL', [Segment(1, 0, f1 + 1), Segment(0, e1, f2 + 1), Segment(1, e2, dl)], [(1, k1), (0, k2)])
    for (f1, e1, k1), (f2, e2, k2) in sls:
        add('SLS', [Segment(0, 0, f1 + 1), Segment(1, e1, f2 + 1), Segment(0, e2, ds)], [(0, k1), (1, k2)])
    return tuple(out)


def _our_stitches(depths: Sequence[int], stitches: Sequence[Stitch] | None) -> Sequence[Stitch]:
    if stitches is not None:
        return stitches
    return enumerate_stitches(sorted(depths)).stitches


def official_id_map(depths: Sequence[int], stitches: Sequence[Stitch] | None = None) -> dict[int, int | None]:
    """Official id -> our stitch index (``None``: excluded officially, or not in ``stitches``).

    Args:
        depths: Block counts of the two anchors.
        stitches: Our stitches (a network's ``stitches``); defaults to the full v2 space.
    """
    ours = {s.segments: i for i, s in enumerate(_our_stitches(depths, stitches))}
    return {o.id: (ours.get(o.segments) if o.trained else None) for o in official_stitches(depths)}


def official_to_ours(official_id: int, depths: Sequence[int], stitches: Sequence[Stitch] | None = None) -> int | None:
    """Our stitch index for official id ``official_id`` (``None`` when it has no counterpart).

    Raises:
        ValueError: ``official_id`` is not an official id for these depths.
    """
    mapping = official_id_map(depths, stitches)
    if isinstance(official_id, bool) or not isinstance(official_id, int) or official_id not in mapping:
        raise ValueError(f'official_id: expected an official stitch id in [0, {len(mapping)}) for depths '
                         f'{sorted(depths)}, got {official_id!r}')
    return mapping[official_id]


def ours_to_official(index: int, depths: Sequence[int], stitches: Sequence[Stitch] | None = None) -> int | None:
    """Official id of our stitch ``index`` (``None`` when the official code has no such stitch)."""
    ours = _our_stitches(depths, stitches)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(ours):
        raise ValueError(f'index: expected a stitch index in [0, {len(ours)}), got {index!r}')
    for o in official_stitches(depths):
        if o.trained and o.segments == ours[index].segments:
            return o.id
    return None


def parse_official(value: object, depths: Sequence[int], stitches: Sequence[Stitch] | None = None,
                   field_name: str = 'stitch') -> int | None:
    """Our index for ``'official:N'``; ``None`` when ``value`` is not in that form.

    Raises:
        ValueError: A malformed ``official:`` value or an official id with no counterpart here.
    """
    if not isinstance(value, str) or not value.startswith(OFFICIAL_PREFIX):
        return None
    match = re.fullmatch(r'official:(\d+)', value.strip())
    if match is None:
        raise ValueError(f"{field_name}: expected 'official:<id>', got {value!r}")
    official = int(match.group(1))
    try:
        index = official_to_ours(official, depths, stitches)
    except ValueError as exc:
        raise ValueError(f'{field_name}: {exc}') from None
    if index is None:
        raise ValueError(f'{field_name}: official stitch {official} is not among these stitches (the official '
                         'code never trains it, or the selection leaves it out)')
    return index


def official_ids(depths: Sequence[int], stitches: Sequence[Stitch]) -> list[int | None]:
    """Official id of each of ``stitches`` (all ``None`` unless there are exactly two anchors)."""
    if len(depths) != 2:
        return [None] * len(stitches)
    inverse = {i: o for o, i in official_id_map(depths, stitches).items() if i is not None}
    return [inverse.get(i) for i in range(len(stitches))]


def _depths_of(stitches: Sequence[Stitch]) -> tuple[int, ...]:
    """Anchor depths as far as the routes show them (each anchor's deepest segment end)."""
    ends: dict[int, int] = {}
    for s in stitches:
        for seg in s.segments:
            ends[seg.anchor] = max(ends.get(seg.anchor, 0), seg.end)
    return tuple(ends[a] for a in sorted(ends))


def _official_form(arg: str, stitches: Sequence[Stitch], field_name: str) -> int:
    """``STRING_FORMS['official']``: ``stitch='official:29'`` wherever a stitch is chosen."""
    depths = _depths_of(stitches)
    if len(depths) != 2:
        raise ValueError(f"{field_name}: 'official:{arg}' needs two anchors, these stitches use {len(depths)}")
    return parse_official(f'{OFFICIAL_PREFIX}{arg}', depths, stitches, field_name)


STRING_FORMS.setdefault('official', _official_form)
