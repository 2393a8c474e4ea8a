"""Stitch values and the enumeration of a stitch space from stage descriptions.

A *stitch* is one sub-network of a stitched family: a route through one or more anchors, made
of block segments joined by stitching layers. Anchors are indexed by cost (0 = cheapest).

An anchor is stages of blocks (a plain ViT is one stage). Blocks are numbered along the whole
anchor; boundaries count completed blocks: boundary ``b`` is the tensor after the first ``b``
blocks (``b = 0`` is the embedding output). A stitching layer maps boundary ``src_boundary`` of
its source anchor to boundary ``dst_boundary`` of its destination anchor.

Single-stage anchors (plain ViTs) use the SN-Netv2 two-way space or SN-Net v1's sliding window.
Multi-stage anchors use SN-Net v1's per-stage rule: a stitch stays inside one stage, never
across a resolution change; mode 'v2' adds the reverse (large-to-small) stitches that keep it.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Iterable, Sequence

KINDS = ('anchor', 'SL', 'LS', 'SLS', 'LSL')
MODES = ('v2', 'v1')


@dataclass(frozen=True)
class Segment:
    """Blocks ``[start, end)`` of anchor ``anchor``."""

    anchor: int
    start: int
    end: int


@dataclass(frozen=True)
class LayerSpec:
    """A stitching layer from anchor ``src`` to anchor ``dst``.

    Attributes:
        key: Unique name of the layer (used as its module name).
        src: Source anchor index.
        dst: Destination anchor index.
        fits: ``(src_boundary, dst_boundary)`` pairs the layer serves. Least-squares
            initialisation solves each pair and averages the solutions (SN-Net v1 shares one
            layer between neighbouring positions; SN-Netv2 layers serve exactly one pair).
    """

    key: str
    src: int
    dst: int
    fits: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Stitch:
    """One route through the anchors.

    Attributes:
        segments: Block segments in execution order.
        layers: Keys of the stitching layers between consecutive segments.
        kind: One of ``KINDS``.
        names: Display names of all anchors (e.g. ``('S', 'L')``).
    """

    segments: tuple[Segment, ...]
    layers: tuple[str, ...]
    kind: str
    names: tuple[str, ...] = field(compare=False)

    @property
    def first_anchor(self) -> int:
        return self.segments[0].anchor

    @property
    def last_anchor(self) -> int:
        return self.segments[-1].anchor

    @property
    def route(self) -> str:
        """Readable route, e.g. ``'S[0:4] -> L[8:24]'``."""
        return ' -> '.join(f'{self.names[s.anchor]}[{s.start}:{s.end}]' for s in self.segments)

    def __str__(self) -> str:
        return self.route


def boundary_map(depth_small: int, depth_large: int) -> list[int]:
    """Large-anchor boundary matched to each small-anchor boundary ``0..depth_small``.

    Nearest interpolation of block ids: boundary ``b`` of the small anchor meets boundary
    ``round(b * depth_large / depth_small)`` of the large one (exact ``2b`` for 12/24).
    """
    return [(2 * b * depth_large + depth_small) // (2 * depth_small) for b in range(depth_small + 1)]


def map_block(index_large: int, depth_small: int, depth_large: int) -> int:
    """Small-anchor block matching large-anchor block ``index_large`` (nearest interpolation)."""
    return index_large * depth_small // depth_large


@dataclass(frozen=True)
class StitchSpace:
    """All stitches of a family and the stitching layers they use.

    Attributes:
        stitches: Trained stitches, in index order.
        layers: Every stitching layer the stitches (and dense outputs) need.
        depths: Depth of each anchor (all stages).
        names: Display name of each anchor.
        stage_depths: Depth of each stage of each anchor (one stage for plain ViTs).
    """

    stitches: tuple[Stitch, ...]
    layers: tuple[LayerSpec, ...]
    depths: tuple[int, ...]
    names: tuple[str, ...]
    stage_depths: tuple[tuple[int, ...], ...] = ()

    def __len__(self) -> int:
        return len(self.stitches)

    def layer(self, key: str) -> LayerSpec:
        for spec in self.layers:
            if spec.key == key:
                return spec
        raise KeyError(key)


def default_names(num_anchors: int) -> tuple[str, ...]:
    """``('S', 'L')`` for two anchors, ``('A0', 'A1', ...)`` otherwise."""
    if num_anchors == 2:
        return ('S', 'L')
    return tuple(f'A{i}' for i in range(num_anchors))


def _anchor_stitches(depths: Sequence[int], names: tuple[str, ...]) -> list[Stitch]:
    return [Stitch((Segment(i, 0, d),), (), 'anchor', names) for i, d in enumerate(depths)]


def _sl_key(src: int, dst: int, boundary: int) -> str:
    return f'a{src}_to_a{dst}_at{boundary}'


def _two_way_space(depths: Sequence[int], names: tuple[str, ...], kinds: frozenset[str],
                   with_projection: bool) -> tuple[list[Stitch], list[LayerSpec]]:
    """SN-Netv2 two-way stitching between anchors 0 (small) and 1 (large)."""
    ds, dl = depths
    bmap = boundary_map(ds, dl)
    points = range(1, ds)  # small boundaries where a jump can happen in both directions
    sl_bounds = range(1, ds + 1) if with_projection else points
    layers = [LayerSpec(_sl_key(0, 1, b), 0, 1, ((b, bmap[b]),)) for b in sl_bounds]
    layers += [LayerSpec(_sl_key(1, 0, b), 1, 0, ((bmap[b], b),)) for b in points]

    stitches = _anchor_stitches(depths, names) if 'anchor' in kinds else []
    if 'SL' in kinds:
        stitches += [Stitch((Segment(0, 0, p), Segment(1, bmap[p], dl)), (_sl_key(0, 1, p),), 'SL', names)
                     for p in points]
    if 'LS' in kinds:
        stitches += [Stitch((Segment(1, 0, bmap[p]), Segment(0, p, ds)), (_sl_key(1, 0, p),), 'LS', names)
                     for p in points]
    pairs = list(itertools.combinations(points, 2))
    if 'LSL' in kinds:
        stitches += [Stitch((Segment(1, 0, bmap[p]), Segment(0, p, q), Segment(1, bmap[q], dl)),
                            (_sl_key(1, 0, p), _sl_key(0, 1, q)), 'LSL', names) for p, q in pairs]
    if 'SLS' in kinds:
        stitches += [Stitch((Segment(0, 0, p), Segment(1, bmap[p], bmap[q]), Segment(0, q, ds)),
                            (_sl_key(0, 1, p), _sl_key(1, 0, q)), 'SLS', names) for p, q in pairs]
    return stitches, layers


def _window_positions(depth: int, kernel: int, stride: int) -> list[tuple[int, int, int]]:
    """SN-Net v1 sliding-window positions ``(front_block, end_block, window)`` for equal depths.

    Inside each window every (front, end) block pair is a stitch position; positions first seen
    in the same window share one stitching layer.
    """
    seen: set[tuple[int, int]] = set()
    positions = []
    window = 0
    for start in range(0, depth, stride):
        ids = range(start, min(start + kernel, depth))
        new = [(j, k) for j in ids for k in ids if (j, k) not in seen]
        if not new:
            continue
        seen.update(new)
        positions += [(j, k, window) for j, k in new]
        window += 1
    return positions


def _v1_pair(src: int, dst: int, ds: int, dl: int, names: tuple[str, ...], kernel: int,
             stride: int) -> tuple[list[Stitch], list[LayerSpec]]:
    """SN-Net v1 fast-to-slow stitches between neighbouring anchors ``src`` -> ``dst``."""
    if ds == dl:
        positions = _window_positions(ds, kernel, stride)
        windows: dict[int, list[tuple[int, int]]] = {}
        for j, k, w in positions:
            windows.setdefault(w, []).append((j + 1, k))
        layers = [LayerSpec(f'a{src}_to_a{dst}_win{w}', src, dst, tuple(fits))
                  for w, fits in windows.items()]
        stitches = [Stitch((Segment(src, 0, j + 1), Segment(dst, k, dl)), (f'a{src}_to_a{dst}_win{w}',),
                           'SL', names) for j, k, w in positions]
        return stitches, layers
    bmap = boundary_map(ds, dl)
    layers = [LayerSpec(_sl_key(src, dst, b), src, dst, ((b, bmap[b]),)) for b in range(1, ds)]
    stitches = [Stitch((Segment(src, 0, b), Segment(dst, bmap[b], dl)), (_sl_key(src, dst, b),),
                       'SL', names) for b in range(1, ds)]
    return stitches, layers


def front_block(end_block: int, depth_front: int, depth_end: int) -> int:
    """SN-Net v1 front block ``m(i) = floor(i * Df / De)`` paired with end block ``i`` of a stage."""
    return end_block * depth_front // depth_end


def stage_pairs(depth_front: int, depth_end: int) -> list[tuple[int, int]]:
    """SN-Net v1 (front block, end block) stitch positions inside one stage.

    The front anchor runs up to and including block ``f``; the end anchor continues from
    block ``e``. Unequal depths: ``(m(e), e)`` for every ``e > m(e)``; equal depths:
    ``(j, j + 1)``. ``e >= 1`` keeps a stage's entry (downsampling) inside the end anchor.
    """
    if depth_front == depth_end:
        return [(j, j + 1) for j in range(depth_front - 1)]
    pairs = [(front_block(e, depth_front, depth_end), e) for e in range(depth_end)]
    return [(f, e) for f, e in pairs if e > f]


def _hierarchical_space(stage_depths: Sequence[tuple[int, ...]], names: tuple[str, ...],
                        kinds: frozenset[str], stages: Sequence[int],
                        out_stages: Sequence[int], two_way: bool = False) -> tuple[list[Stitch], list[LayerSpec]]:
    """Stitches between neighbouring multi-stage anchors, each inside one stage.

    SN-Net v1 (``two_way=False``): small-to-large stitches at ``stage_pairs``. Our SN-Netv2
    extension (``two_way=True``) adds, for each such position, its reverse large-to-small stitch
    wherever it also keeps the stage's resolution: the large anchor runs to the boundary the
    small-to-large stitch entered it at, and the small anchor continues from the block after the
    one the small-to-large stitch left it at, which must not be the small anchor's first block of
    the next stage (its downsampling). Kinds ``'SL'`` and ``'LS'``; one jump per stitch.

    One layer per (direction, stage, front block, end block): each position fits its own target
    distribution (the official code shared layers between positions by list order).
    Dense outputs add one projection per (cheaper anchor, output stage) onto the most
    expensive anchor's stage output.
    """
    totals = [sum(d) for d in stage_depths]
    starts = [[sum(d[:i]) for i in range(len(d) + 1)] for d in stage_depths]
    stitches = _anchor_stitches(totals, names) if 'anchor' in kinds else []
    layers, reverse = [], []
    for src in range(len(stage_depths) - 1):
        dst = src + 1
        for st in stages:
            for f, e in stage_pairs(stage_depths[src][st], stage_depths[dst][st]):
                key = f'a{src}_to_a{dst}_s{st}_f{f}_e{e}'
                out_b, in_b = starts[src][st] + f + 1, starts[dst][st] + e
                layers.append(LayerSpec(key, src, dst, ((out_b, in_b),)))
                if 'SL' in kinds:
                    stitches.append(Stitch((Segment(src, 0, out_b), Segment(dst, in_b, totals[dst])),
                                           (key,), 'SL', names))
                if two_way and f + 1 < stage_depths[src][st]:
                    back = f'a{dst}_to_a{src}_s{st}_f{e - 1}_e{f + 1}'
                    layers.append(LayerSpec(back, dst, src, ((in_b, out_b),)))
                    if 'LS' in kinds:
                        reverse.append(Stitch((Segment(dst, 0, in_b), Segment(src, out_b, totals[src])),
                                              (back,), 'LS', names))
    stitches += reverse
    top = len(stage_depths) - 1
    layers += [LayerSpec(projection_key(a, st), a, top, ((starts[a][st + 1], starts[top][st + 1]),))
               for a in range(top) for st in out_stages]
    return stitches, layers


def projection_key(anchor: int, stage: int) -> str:
    """Key of the dense-output projection of ``anchor``'s ``stage`` onto the top anchor."""
    return f'proj_a{anchor}_s{stage}'


def _stage_depths(depths: Sequence[int | Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    result = []
    for d in depths:
        stages = (d,) if isinstance(d, int) else tuple(d)
        if not stages or any(isinstance(x, bool) or not isinstance(x, int) or x < 1 for x in stages):
            raise ValueError(f'depths: every anchor (and stage) needs at least one block, got {list(depths)}')
        result.append(tuple(int(x) for x in stages))
    if len({len(s) for s in result}) > 1:
        raise ValueError(f'depths: anchors have different stage counts {[len(s) for s in result]}')
    return tuple(result)


def enumerate_stitches(
        depths: Sequence[int | Sequence[int]],
        *,
        mode: str = 'v2',
        kinds: Iterable[str] = KINDS,
        selected: Sequence[int] | None = None,
        names: Sequence[str] | None = None,
        with_projection: bool = False,
        window: tuple[int, int] = (2, 1),
        stages: Sequence[int] | None = None,
        out_stages: Sequence[int] = (),
) -> StitchSpace:
    """Enumerate the stitch space of anchors with the given depths (sorted by cost).

    Args:
        depths: Number of blocks of each anchor, cheapest anchor first; for multi-stage
            anchors, the depth of each stage (e.g. ``[(2, 2, 2, 2), (3, 4, 6, 3)]``).
        mode: ``'v2'`` (SN-Netv2 two-way stitching: anchors, SL, LS, LSL, SLS; two anchors;
            multi-stage anchors: SL and LS inside a stage, between neighbouring anchors, see
            ``_hierarchical_space``) or ``'v1'`` (SN-Net: anchors and small-to-large stitches
            between neighbouring anchors).
        kinds: Kinds to include (subset of ``KINDS``); v1 mode only has ``anchor`` and ``SL``.
        selected: Optional indices into the enumerated list to keep (in the given order).
        names: Display names of the anchors; defaults to ``default_names``.
        with_projection: v2 only: also create the small-to-large layer at the small anchor's
            last boundary, used to project small-anchor features for dense outputs.
        window: v1 only: (kernel, stride) of the sliding window for equal-depth neighbours.
        stages: Multi-stage anchors only: stages a stitch may stay in (default: all but the last).
        out_stages: Multi-stage anchors only: stages with dense outputs (adds their projections).

    Returns:
        The stitch space.

    Raises:
        ValueError: On an unknown mode or kind, too few anchors, bad depths or bad selection.
    """
    kinds = check_mode_and_kinds(mode, kinds)
    if len(depths) < 2:
        raise ValueError(f'depths: at least two anchors are needed, got {list(depths)}')
    stage_depths = _stage_depths(depths)
    depths = tuple(sum(d) for d in stage_depths)
    names = tuple(names) if names is not None else default_names(len(depths))
    if len(names) != len(depths):
        raise ValueError(f'names: expected {len(depths)} names, got {list(names)}')

    if len(stage_depths[0]) > 1:
        stitches, layers = _multi_stage_space(stage_depths, names, kinds, mode, stages, out_stages)
    elif mode == 'v2':
        if len(depths) != 2:
            raise ValueError(f"depths: mode='v2' stitches exactly two anchors, got {len(depths)}; "
                             "use mode='v1' for more")
        if depths[0] > depths[1]:
            raise ValueError(f'depths: the cheaper anchor must not be deeper, got {list(depths)}')
        stitches, layers = _two_way_space(depths, names, kinds, with_projection)
    else:
        stitches = _anchor_stitches(depths, names) if 'anchor' in kinds else []
        layers = []
        for src in range(len(depths) - 1):
            ds, dl = depths[src], depths[src + 1]
            if ds > dl:
                raise ValueError(f'depths: anchor {src} ({ds} blocks) is deeper than the next, '
                                 f'more expensive anchor ({dl} blocks)')
            pair_stitches, pair_layers = _v1_pair(src, src + 1, ds, dl, names, *window)
            layers += pair_layers
            if 'SL' in kinds:
                stitches += pair_stitches

    if selected is not None:
        stitches = _select(stitches, selected)
    if not stitches:
        raise ValueError(f'kinds: the selection {sorted(kinds)} leaves no stitch')
    used = {key for s in stitches for key in s.layers}
    used |= {spec.key for spec in layers if spec.key.startswith('proj_')}
    layers = [spec for spec in layers if spec.key in used or (with_projection and spec.src == 0)]
    return StitchSpace(tuple(stitches), tuple(layers), depths, names, stage_depths)


def _multi_stage_space(stage_depths: tuple[tuple[int, ...], ...], names: tuple[str, ...],
                       kinds: frozenset[str], mode: str, stages: Sequence[int] | None,
                       out_stages: Sequence[int]) -> tuple[list[Stitch], list[LayerSpec]]:
    num_stages = len(stage_depths[0])
    stages = tuple(range(num_stages - 1)) if stages is None else tuple(stages)
    for field_name, values in (('stages', stages), ('out_indices', tuple(out_stages))):
        bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < num_stages]
        if bad:
            raise ValueError(f'{field_name}: stage index {bad[0]!r} out of range for anchors with '
                             f'{num_stages} stages')
    for src in range(len(stage_depths) - 1):
        for st in stages:
            if stage_depths[src][st] > stage_depths[src + 1][st]:
                raise ValueError(f'depths: stage {st} of anchor {src} ({stage_depths[src][st]} blocks) is '
                                 f'deeper than in the next, more expensive anchor ({stage_depths[src + 1][st]})')
    return _hierarchical_space(stage_depths, names, kinds, stages, out_stages, two_way=mode == 'v2')


def check_mode_and_kinds(mode: str, kinds: Iterable[str]) -> frozenset[str]:
    """The kinds as a set, after checking ``mode`` and ``kinds`` (each error names its field)."""
    if mode not in MODES:
        raise ValueError(f'mode: expected one of {MODES}, got {mode!r}')
    if isinstance(kinds, str):
        raise ValueError(f'kinds: expected a list of kinds such as [{kinds!r}], got the string {kinds!r}')
    kinds = frozenset(kinds)
    unknown = kinds - set(KINDS)
    if unknown:
        raise ValueError(f'kinds: unknown kind(s) {sorted(unknown)}, expected a subset of {KINDS}')
    return kinds


def _select(stitches: list[Stitch], selected: Sequence[int]) -> list[Stitch]:
    if isinstance(selected, (str, int)) or not len(selected):
        raise ValueError(f'selected: expected a non-empty list of stitch indices, got {selected!r}')
    chosen = []
    for i in selected:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(stitches):
            raise ValueError(f'selected: stitch index {i!r} out of range [0, {len(stitches)})')
        chosen.append(stitches[i])
    if len(set(chosen)) != len(chosen):
        raise ValueError(f'selected: duplicate stitch indices in {list(selected)}')
    return chosen
