"""The stitched network: many sub-networks of a family of timm models in one module.

A route runs as a function of (stitch, input) over its segments: the first anchor's embedding,
each segment's blocks, a stitching layer between segments, and the ending anchor's head (or
the dense outputs tapped along the way).
"""
from __future__ import annotations

import logging
import math
import operator
from typing import Any, Iterable, Mapping, Sequence

import torch
from torch import nn

from .anchor import AnchorSpec, build_anchor
from .checkpoint import LoadReport, Loader, load_anchor_weights
from .families import FamilyAnchor, channels_last, stage_maps, tokens_to_maps
from .layers import NormalEquations, StitchingLinear, ls_cutoff
from .stitch import (KINDS, Stitch, StitchSpace, check_mode_and_kinds, enumerate_stitches, map_block,
                     projection_key)

logger = logging.getLogger('snnet_mm')

OUTPUTS = ('logits', 'features')


# Dense outputs read after one block: [(projection layer key or None, output slots)].
TapGroups = Sequence[tuple[Any, tuple[int, ...]]]


class StitchedNetwork(nn.Module):
    """Anchors of one family (or of families with the same stages) joined by stitching layers.

    Plain ViTs are one stage of blocks; Swin and ResNet are four stages, stitched inside a
    stage only (SN-Net v1 rule, see ``stitch.stage_pairs``).

    Args:
        anchors: Anchor specs (``AnchorSpec``, timm names or dicts); sorted by parameter count.
        mode: ``'v2'`` (two-way SN-Netv2 space; multi-stage anchors: v1's stitches plus their
            large-to-small reverses that keep the stage's resolution, our extension) or ``'v1'``
            (SN-Net, small-to-large only).
        kinds: Stitch kinds to include (subset of ``('anchor', 'SL', 'LS', 'SLS', 'LSL')``).
        selected: Optional explicit list of stitch indices (into the space given by ``kinds``).
        out_indices: Plain ViTs: block indices of the most expensive anchor at which dense
            features are returned. Multi-stage anchors: stage indices; each stage's map comes
            from the anchor the route is in at the stage's end, projected to the most expensive
            anchor's width. ``None`` makes ``forward`` return classification logits.
        with_cls_token: Return ``(map, class_token)`` pairs as dense outputs (DPT readout).
        lora_rank: Rank of the low-rank update of the stitching layers (None: full weights).
        lora_alpha: Low-rank scale numerator.
        dynamic_img_size: Accept any input size (position embeddings resampled on the fly and
            inputs padded to the patch size). Dense tasks need it.
        window: v1 sliding window (kernel, stride) for equal-depth neighbours (plain ViTs).
        stages: Multi-stage anchors: stages a stitch may stay in; default: the stages every
            anchor's family allows (official SN-Net: 1-2 for ResNet, 0-2 for Swin).
        load_weights: Load each anchor's ``checkpoint`` now. Frameworks that load a trained
            checkpoint on top pass False and call ``load_anchor_weights`` only before training.

    Raises:
        ValueError: On any invalid argument, naming the field and value.
    """

    def __init__(
            self,
            anchors: Sequence[AnchorSpec | str | Mapping[str, Any]],
            *,
            mode: str = 'v2',
            kinds: Iterable[str] = KINDS,
            selected: Sequence[int] | None = None,
            out_indices: Sequence[int] | None = None,
            with_cls_token: bool = False,
            lora_rank: int | None = None,
            lora_alpha: float = 1.0,
            dynamic_img_size: bool = False,
            window: tuple[int, int] = (2, 1),
            stages: Sequence[int] | None = None,
            load_weights: bool = True,
    ) -> None:
        super().__init__()
        kinds = check_mode_and_kinds(mode, kinds)  # before the anchors are built and loaded
        if lora_rank is not None and (isinstance(lora_rank, bool) or not isinstance(lora_rank, int)
                                      or lora_rank < 1):
            raise ValueError(f'lora_rank: expected a positive int (or None for full-rank stitching layers), '
                             f'got {lora_rank!r}')
        if isinstance(lora_alpha, bool) or not isinstance(lora_alpha, (int, float)) or not math.isfinite(lora_alpha):
            raise ValueError(f'lora_alpha: expected a finite number, got {lora_alpha!r}')
        if isinstance(anchors, (str, Mapping)) or len(anchors) < 2:
            raise ValueError(f'anchors: expected a list of at least two anchors, got {anchors!r}')
        specs = [AnchorSpec.parse(a, f'anchors[{i}]') for i, a in enumerate(anchors)]
        built = [build_anchor(s, f'anchors[{i}]', dynamic_img_size) for i, s in enumerate(specs)]
        _check_compatible(built, specs)
        order = sorted(range(len(built)), key=lambda i: sum(p.numel() for p in built[i].parameters()))
        self.anchor_specs = tuple(specs[i] for i in order)
        self._anchor_fields = tuple(f'anchors[{i}]' for i in order)
        self.anchors = nn.ModuleList(built[i] for i in order)
        self.output = 'logits' if out_indices is None else 'features'
        self.with_cls_token = bool(with_cls_token)
        self.multi_stage = len(self.anchors[0].stages) > 1
        if self.with_cls_token and (self.multi_stage or not self.anchors[0].token_layout()[0]):
            raise ValueError('with_cls_token: the anchors have no class token')

        if self.multi_stage:
            self.space = self._multi_stage_space(out_indices, mode, kinds, selected, stages)
        else:
            self.space = self._single_stage_space(out_indices, mode, kinds, selected, window)
        self.stitch_layers = nn.ModuleDict({spec.key: self._build_layer(spec, lora_rank, lora_alpha)
                                            for spec in self.space.layers})
        self._taps = [self._plan_taps(s) for s in self.space.stitches]
        self._out_layouts = [self._tap_layouts(taps) for taps in self._taps]
        self.out_norms = self._output_norms()
        self._index = 0
        if load_weights:
            self.load_anchor_weights()

    def _single_stage_space(self, out_indices, mode, kinds, selected, window) -> StitchSpace:
        depths = [a.depth for a in self.anchors]
        self.out_indices = _check_out_indices(out_indices, depths[-1])
        if self.out_indices and (len(depths) != 2 or mode != 'v2'):
            raise ValueError(f'out_indices: dense outputs need two anchors in mode \'v2\', got '
                             f'{len(depths)} anchors in mode {mode!r}')
        return enumerate_stitches(depths, mode=mode, kinds=kinds, selected=selected,
                                  with_projection=bool(self.out_indices), window=window)

    def _multi_stage_space(self, out_indices, mode, kinds, selected, stages) -> StitchSpace:
        num_stages = len(self.anchors[0].stages)
        self.out_indices = _check_out_indices(out_indices, num_stages, unit='stage', owner='the anchors')
        if self.out_indices and any(st.layout == 'tokens' for a in self.anchors for st in a.stages):
            raise ValueError(f'out_indices: dense outputs of multi-stage token anchors ({self.anchors[0].family}) '
                             f'are not supported, got {out_indices!r}; use None (classification)')
        if stages is None:
            allowed = set.intersection(*(set(type(a).stitch_stages) for a in self.anchors))
            stages = tuple(sorted(allowed))
        return enumerate_stitches([a.stage_depths for a in self.anchors], mode=mode, kinds=kinds,
                                  selected=selected, stages=stages, out_stages=self.out_indices)

    def _output_norms(self) -> nn.ModuleList | None:
        """One norm per dense output of multi-stage anchors where the most expensive anchor's
        OpenMMLab backbone has one (Swin: mmseg's / mmdet's ``norm{i}``), after the projection
        onto its width, so every stitch feeds the neck what that backbone would. Shared by all
        stitches and freshly initialised, as upstream (the anchors' final norm is not loaded)."""
        if not (self.multi_stage and self.out_indices):
            return None
        norms = [self.anchors[-1].output_norm(st) for st in self.out_indices]
        if all(n is None for n in norms):
            return None
        return nn.ModuleList(nn.Identity() if n is None else n for n in norms)

    def _build_layer(self, spec, lora_rank: int | None, lora_alpha: float) -> StitchingLinear:
        (sb, db), = spec.fits[:1]
        src, dst = self.anchors[spec.src], self.anchors[spec.dst]
        src_stage, dst_stage = src.stages[src.stage_of_boundary(sb)], dst.stages[dst.stage_of_boundary(db)]
        # Dense projections of multi-stage anchors emit NCHW maps directly.
        out_layout = 'nchw' if spec.key.startswith('proj_') else dst_stage.layout
        return StitchingLinear(in_features=src_stage.width, out_features=dst_stage.width,
                               rank=lora_rank, alpha=lora_alpha,
                               in_layout=src_stage.layout, out_layout=out_layout)

    def load_anchor_weights(self, *, loader: Loader | None = None) -> list[LoadReport]:
        """Load every anchor's ``checkpoint`` (anchors without one keep their initialisation).

        Args:
            loader: Reads URIs (default: ``torch.hub`` for ``http(s)://``).

        Returns:
            One report per loaded anchor: its source and missing/unexpected keys.
        """
        reports = []
        for anchor, spec, name in zip(self.anchors, self.anchor_specs, self._anchor_fields):
            if spec.checkpoint is not None:
                reports.append(load_anchor_weights(
                    anchor.model, spec.checkpoint, f'{name}.checkpoint',
                    overlay=spec.model_kwargs.get('pretrained_cfg_overlay'), loader=loader))
        return reports

    @property
    def input_size(self) -> tuple[int, int]:
        """Default (H, W) for FLOPs, budgets and export checks: the first anchor built or configured
        for a size (``img_size``), else timm's pretrained input size of the first anchor."""
        return next((a.built_size for a in self.anchors if a.built_size is not None), self.anchors[0].input_size)

    # ----------------------------------------------------------------- stitch selection
    @property
    def stitches(self) -> tuple[Stitch, ...]:
        return self.space.stitches

    @property
    def num_stitches(self) -> int:
        return len(self.space.stitches)

    @property
    def current_stitch(self) -> int:
        return self._index

    def set_stitch(self, index: int) -> None:
        """Select the stitch used by ``forward`` (cheap: no module is rebuilt)."""
        self._index = self.check_stitch_index(index)

    def check_stitch_index(self, index: Any, field_name: str = 'stitch') -> int:
        """``index`` as an int, or a ValueError naming ``field_name``."""
        try:
            value = operator.index(index)
        except TypeError:
            value = None
        if isinstance(index, bool) or value is None:
            raise ValueError(f'{field_name}: expected an integer stitch index, got {index!r}')
        if not 0 <= value < self.num_stitches:
            raise ValueError(f'{field_name}: stitch index {index!r} out of range [0, {self.num_stitches})')
        return value

    def anchor_stitch(self, anchor: int) -> int:
        """Index of the stitch that runs anchor ``anchor`` (-1: the most expensive) alone."""
        if not -len(self.anchors) <= anchor < len(self.anchors):
            raise ValueError(f'anchor: expected an anchor index in [-{len(self.anchors)}, '
                             f'{len(self.anchors)}), got {anchor!r}')
        target = range(len(self.anchors))[anchor]
        for i, s in enumerate(self.stitches):
            if s.kind == 'anchor' and s.first_anchor == target:
                return i
        raise ValueError(f'anchor: the selected stitches do not include anchor {anchor} alone')

    # ----------------------------------------------------------------- forward
    def forward(self, x: torch.Tensor) -> Any:
        """Logits (``out_indices=None``) or the list of dense outputs of the current stitch."""
        if self.output == 'logits':
            return self.forward_logits(x)
        return self.forward_features(x)

    def forward_logits(self, x: torch.Tensor) -> torch.Tensor:
        stitch = self.stitches[self._index]
        tokens, _ = self._run(x, stitch, {})
        return self.anchors[stitch.last_anchor].head(tokens)

    def forward_features(self, x: torch.Tensor) -> list[Any]:
        if not self.out_indices:
            raise ValueError('out_indices: the network was built without dense outputs')
        stitch = self.stitches[self._index]
        grid = self.anchors[stitch.first_anchor].grid_size(tuple(x.shape[-2:]))
        _, feats = self._run(x, stitch, self._taps[self._index])
        return self.to_maps(feats, self._out_layouts[self._index], grid)

    def to_maps(self, feats: Sequence[torch.Tensor], layouts: Sequence[str], grid: tuple[int, int]) -> list[Any]:
        """Tapped tensors -> NCHW maps (paired with the class token when ``with_cls_token``)."""
        if not self.multi_stage:
            return tokens_to_maps(feats, grid, self.anchors[0].num_prefix_tokens, self.with_cls_token)
        return stage_maps(feats, layouts, self.out_norms)

    def _run(self, x: torch.Tensor, stitch: Stitch, taps: Mapping[tuple[int, int], TapGroups]):
        x = self.anchors[stitch.first_anchor].embed(x)
        feats: list[torch.Tensor | None] = [None] * len(self.out_indices) if taps else []
        for si, seg in enumerate(stitch.segments):
            if si:
                x = self.stitch_layers[stitch.layers[si - 1]](x)
            blocks = self.anchors[seg.anchor].blocks
            for b in range(seg.start, seg.end):
                x = blocks[b](x)
                for proj, slots in taps.get((si, b), ()):
                    y = x if proj is None else self.stitch_layers[proj](x)
                    for k in slots:
                        feats[k] = y
        return x, feats

    def _plan_taps(self, stitch: Stitch) -> dict[tuple[int, int], TapGroups]:
        """Map (segment, block) -> [(projection key or None, output slots)] for dense outputs."""
        if not self.out_indices:
            return {}
        if self.multi_stage:
            return self._plan_stage_taps(stitch)
        return self._plan_block_taps(stitch)

    def _plan_stage_taps(self, stitch: Stitch) -> dict[tuple[int, int], TapGroups]:
        """Each output stage is read where the route is at that stage's end.

        A stitch stays inside one stage, so exactly one segment holds each stage's last block;
        outside the most expensive anchor its map is projected onto that anchor's width.
        """
        top = len(self.anchors) - 1
        groups: dict[tuple[int, int], dict[str | None, list[int]]] = {}
        for k, st in enumerate(self.out_indices):
            for si, seg in enumerate(stitch.segments):
                end = self.anchors[seg.anchor].stage_offset(st + 1)
                if seg.start < end <= seg.end:
                    proj = None if seg.anchor == top else projection_key(seg.anchor, st)
                    groups.setdefault((si, end - 1), {}).setdefault(proj, []).append(k)
                    break
        return {at: [(proj, tuple(slots)) for proj, slots in g.items()] for at, g in groups.items()}

    def _tap_layouts(self, taps: Mapping[tuple[int, int], TapGroups]) -> tuple[str, ...]:
        """Layout of each output slot: the projection's, or the top anchor's stage layout."""
        layouts = [''] * len(self.out_indices)
        top = self.anchors[-1]
        for groups in taps.values():
            for proj, slots in groups:
                for k in slots:
                    layouts[k] = (self.stitch_layers[proj].out_layout if proj is not None
                                  else top.stages[self.out_indices[k] if self.multi_stage else 0].layout)
        return tuple(layouts)

    def _plan_block_taps(self, stitch: Stitch) -> dict[tuple[int, int], TapGroups]:
        """Dense outputs of plain ViTs.

        Outputs are read on the most expensive anchor's blocks; where the route runs in the
        small anchor, the nearest small block is read and projected with its small-to-large
        stitching layer, so every output has the large anchor's width.
        """
        groups: dict[tuple[int, int], dict[str | None, list[int]]] = {}
        top = len(self.anchors) - 1
        ds, dl = self.space.depths
        pos = 0  # position along the large anchor's blocks
        for si, seg in enumerate(stitch.segments):
            span = range(seg.start, seg.end) if seg.anchor == top else range(pos, self._large_boundary(seg.end))
            for k, j in enumerate(self.out_indices):
                if j not in span:
                    continue
                if seg.anchor == top:
                    block, proj = j, None
                else:
                    block = min(max(map_block(j, ds, dl), seg.start), seg.end - 1)
                    proj = self._projection_key(block + 1)
                groups.setdefault((si, block), {}).setdefault(proj, []).append(k)
            pos = span.stop
        return {at: [(proj, tuple(slots)) for proj, slots in g.items()] for at, g in groups.items()}

    def _small_to_large(self, small_boundary: int):
        for spec in self.space.layers:
            if spec.src == 0 and spec.fits[0][0] == small_boundary:
                return spec
        raise AssertionError(f'no small-to-large layer at boundary {small_boundary}')

    def _large_boundary(self, small_boundary: int) -> int:
        return self._small_to_large(small_boundary).fits[0][1]

    def _projection_key(self, small_boundary: int) -> str:
        return self._small_to_large(small_boundary).key

    # ----------------------------------------------------------------- least squares
    @torch.no_grad()
    def init_stitching_layers(self, images: torch.Tensor, *, batch_size: int = 8,
                              rcond: float | str | None = None) -> None:
        """Least-squares initialisation of every stitching layer from one batch of images.

        Both anchors of each layer run on ``images`` in eval mode (on the model's device, in
        chunks of ``batch_size``); each layer solves ``[X, 1] @ [W; b] ~= Y`` where X are the
        source features at its boundary and Y the destination features at its entry boundary
        (the output of the block before the entry block), both channels-last and flattened.

        Args:
            images: Float tensor (N, 3, H, W), already normalised like training inputs.
            batch_size: Images per forward pass while collecting activations.
            rcond: Least-squares singular-value cut-off (``NormalEquations.solve``): ``None``
                float64 precision, ``'fp32'`` the official float32 ``pinv`` cut-off, or a ratio.
        """
        if images.dim() != 4 or images.shape[0] == 0:
            raise ValueError(f'images: expected a non-empty (N, 3, H, W) batch, got shape {tuple(images.shape)}')
        if batch_size < 1:
            raise ValueError(f'batch_size: expected >= 1, got {batch_size}')
        ls_cutoff(rcond, tokens=1, features=1)  # a bad rcond fails before the forward passes
        device = next(self.parameters()).device
        was_training = self.training
        self.eval()
        systems = {spec.key: [NormalEquations(self.stitch_layers[spec.key].in_features,
                                              self.stitch_layers[spec.key].out_features, device)
                              for _ in spec.fits] for spec in self.space.layers}
        try:
            for chunk in images.split(batch_size):
                bounds = [self._boundary_tokens(a, chunk.to(device)) for a in self.anchors]
                for spec in self.space.layers:
                    for eq, (sb, db) in zip(systems[spec.key], spec.fits):
                        eq.add(bounds[spec.src][sb], bounds[spec.dst][db])
        finally:
            self.train(was_training)
        for spec in self.space.layers:
            solutions = [eq.solve(rcond=rcond) for eq in systems[spec.key]]
            weight = torch.stack([w for w, _ in solutions]).mean(0)
            bias = torch.stack([b for _, b in solutions]).mean(0)
            layer = self.stitch_layers[spec.key]
            layer.set_solution(weight.to(layer.weight.dtype), bias.to(layer.bias.dtype))
        logger.info('least-squares initialised %d stitching layers from %d images',
                    len(self.space.layers), images.shape[0])

    @staticmethod
    def _boundary_tokens(anchor: FamilyAnchor, images: torch.Tensor) -> list[torch.Tensor]:
        """Channels-last features at every boundary of ``anchor``."""
        x = anchor.embed(images)
        out = [channels_last(x, anchor.stages[0].layout)]
        for b, blk in enumerate(anchor.blocks):
            x = blk(x)
            out.append(channels_last(x, anchor.stages[anchor.stage_of_boundary(b + 1)].layout))
        return out

    @property
    def stitching_initialised(self) -> bool:
        """True once every stitching layer holds a least-squares solution."""
        return all(bool(layer.initialised) for layer in self.stitch_layers.values())


def _check_compatible(anchors: Sequence[FamilyAnchor], specs: Sequence[AnchorSpec]) -> None:
    """Stitched anchors need the same stage count and grid per stage (and family facts)."""
    ref = anchors[0]
    for i, a in enumerate(anchors[1:], start=1):
        both = f'anchors[{i}].name: {specs[i].name!r} has'
        if len(a.stages) != len(ref.stages):
            raise ValueError(f'{both} {len(a.stages)} stage(s), {specs[0].name!r} has {len(ref.stages)}; '
                             'stitched anchors need the same stages')
        if type(a) is type(ref):
            ref_facts = ref.compat_facts()
            for key, value in a.compat_facts().items():
                if value != ref_facts[key]:
                    raise ValueError(f'{both} {key} {value}, {specs[0].name!r} has {ref_facts[key]}; '
                                     'anchors must share it')
        strides, ref_strides = [s.stride for s in a.stages], [s.stride for s in ref.stages]
        if strides != ref_strides:
            raise ValueError(f'{both} stage strides (grid) {strides}, {specs[0].name!r} has {ref_strides}; '
                             'stitched anchors need the same grid per stage')


def _check_out_indices(out_indices: Sequence[int] | None, depth: int, *, unit: str = 'block',
                       owner: str = 'the largest anchor') -> tuple[int, ...]:
    if out_indices is None:
        return ()
    if isinstance(out_indices, int):
        out_indices = (out_indices,)
    result = []
    for j in out_indices:
        if isinstance(j, bool) or not isinstance(j, int) or not -depth <= j < depth:
            raise ValueError(f'out_indices: {unit} index {j!r} out of range for {owner} '
                             f'({depth} {unit}s)')
        result.append(j % depth)
    if not result:
        raise ValueError('out_indices: expected at least one block index, got an empty list')
    return tuple(result)


# First name of the engine, from when it only knew plain ViTs.
StitchedViT = StitchedNetwork
