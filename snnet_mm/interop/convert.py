"""Official SN-Netv2 state dicts <-> ours, key by key, with a report of every key.

Official layouts (``ziplab/SN-Netv2``):

- classification: ``anchors.{a}.*`` are DeiT3 ``vit_models`` (timm-like names, layer scale as
  ``blocks.N.gamma_1/gamma_2``), no prefix;
- segmentation: ``backbone.anchors.{a}.*`` are mmseg ``MAE`` layers (``layers.N.ln1``,
  ``attn.qkv``, ``attn.relative_position_bias_table``, ``ffn.layers.0.0``, ``gamma_1``, ...),
  heads under ``decode_head.`` / ``auxiliary_head.`` (upstream ``SETRUPHead``, kept as they are);
- stitching layers ``stitch_layers.{d}.{k}.transform.{weight,bias,lora_A,lora_B}`` (``d = 0``
  small -> large, ``d = 1`` large -> small), LoRA scale ``alpha / r`` with ``alpha = 1``.

Ours: ``backbone.net.anchors.{a}.model.*`` (timm names; segmentation anchors are the
relative-position DeiT3 of ``relpos_vit``) and ``backbone.net.stitch_layers.<key>.*``. Which
official layer is which of ours follows from the stitch each one serves (``stitch_ids``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Mapping

import torch

from ..stitching.stitch import enumerate_stitches
from ..stitching.relpos_vit import relative_position_index
from .stitch_ids import official_stitches

TASKS = ('cls', 'seg')
OURS_PREFIX = 'backbone.net.'
HEAD_PREFIXES = ('decode_head.', 'auxiliary_head.')

# (official name, our timm name); {n}: block index, {p}: weight|bias.
_SEG_ANCHOR_KEYS = (
    ('patch_embed.projection.{p}', 'patch_embed.proj.{p}'),
    ('cls_token', 'cls_token'),
    ('pos_embed', 'pos_embed'),
    ('layers.{n}.ln1.{p}', 'blocks.{n}.norm1.{p}'),
    ('layers.{n}.attn.qkv.{p}', 'blocks.{n}.attn.qkv.{p}'),
    ('layers.{n}.attn.proj.{p}', 'blocks.{n}.attn.proj.{p}'),
    ('layers.{n}.attn.relative_position_bias_table', 'blocks.{n}.attn.relative_position_bias_table'),
    ('layers.{n}.gamma_1', 'blocks.{n}.ls1.gamma'),
    ('layers.{n}.ln2.{p}', 'blocks.{n}.norm2.{p}'),
    ('layers.{n}.ffn.layers.0.0.{p}', 'blocks.{n}.mlp.fc1.{p}'),
    ('layers.{n}.ffn.layers.1.{p}', 'blocks.{n}.mlp.fc2.{p}'),
    ('layers.{n}.gamma_2', 'blocks.{n}.ls2.gamma'),
)
_CLS_ANCHOR_KEYS = (
    ('patch_embed.proj.{p}', 'patch_embed.proj.{p}'),
    ('cls_token', 'cls_token'),
    ('pos_embed', 'pos_embed'),
    ('blocks.{n}.norm1.{p}', 'blocks.{n}.norm1.{p}'),
    ('blocks.{n}.attn.qkv.{p}', 'blocks.{n}.attn.qkv.{p}'),
    ('blocks.{n}.attn.proj.{p}', 'blocks.{n}.attn.proj.{p}'),
    ('blocks.{n}.gamma_1', 'blocks.{n}.ls1.gamma'),
    ('blocks.{n}.norm2.{p}', 'blocks.{n}.norm2.{p}'),
    ('blocks.{n}.mlp.fc1.{p}', 'blocks.{n}.mlp.fc1.{p}'),
    ('blocks.{n}.mlp.fc2.{p}', 'blocks.{n}.mlp.fc2.{p}'),
    ('blocks.{n}.gamma_2', 'blocks.{n}.ls2.gamma'),
    ('norm.{p}', 'norm.{p}'),
    ('head.{p}', 'head.{p}'),
)
_REL_INDEX = re.compile(r'layers\.(\d+)\.attn\.relative_position_index')


def _pattern(template: str) -> re.Pattern:
    regex = re.escape(template).replace(r'\{n\}', r'(?P<n>\d+)').replace(r'\{p\}', r'(?P<p>weight|bias)')
    return re.compile(regex)


def _rename(name: str, rules: tuple[tuple[str, str], ...], reverse: bool) -> str | None:
    for official, ours in rules:
        src, dst = (ours, official) if reverse else (official, ours)
        match = _pattern(src).fullmatch(name)
        if match:
            return dst.format(**match.groupdict())
    return None


@dataclass
class ConversionReport:
    """What happened to every source key.

    Attributes:
        mapped: ``(source key, destination key)`` for every copied tensor.
        merged: ``(source keys, destination key)`` for low-rank updates folded into a weight.
        checked: Source keys consumed after verifying them (derived buffers).
        dropped: ``(source key, reason)`` for keys consumed without a destination.
        filled: ``(destination key, reason)`` for destination keys with no source.
    """

    mapped: list[tuple[str, str]] = field(default_factory=list)
    merged: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    filled: list[tuple[str, str]] = field(default_factory=list)

    @property
    def consumed(self) -> set[str]:
        keys = {s for s, _ in self.mapped} | set(self.checked) | {s for s, _ in self.dropped}
        return keys | {k for srcs, _ in self.merged for k in srcs}

    def lines(self) -> list[str]:
        """One line per key, grouped: mapped, merged, checked, dropped, filled."""
        out = [f'mapped   {s} -> {d}' for s, d in self.mapped]
        out += [f'merged   {" + ".join(s)} -> {d}' for s, d in self.merged]
        out += [f'checked  {s} (derived buffer, equal to the one rebuilt from the grid)' for s in self.checked]
        out += [f'dropped  {s} ({why})' for s, why in self.dropped]
        out += [f'filled   {d} ({why})' for d, why in self.filled]
        return out

    def summary(self) -> str:
        return (f'{len(self.mapped)} mapped, {len(self.merged)} merged, {len(self.checked)} checked, '
                f'{len(self.dropped)} dropped, {len(self.filled)} filled')


@dataclass(frozen=True)
class OfficialInfo:
    """What a converted checkpoint holds (enough to pick or check a config)."""

    task: str
    depths: tuple[int, int]
    widths: tuple[int, int]
    lora_rank: int | None
    relpos: bool
    num_classes: int | None


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise ValueError(f'task: expected one of {TASKS}, got {task!r}')


def _anchor_rules(task: str) -> tuple[tuple[str, str], ...]:
    return _SEG_ANCHOR_KEYS if task == 'seg' else _CLS_ANCHOR_KEYS


def _depth(keys: list[str], block: str) -> int:
    ids = {int(m.group(1)) for k in keys if (m := re.match(rf'{block}\.(\d+)\.', k))}
    if not ids or ids != set(range(max(ids) + 1)):
        raise ValueError(f'checkpoint: expected {block}.0 .. {block}.N keys, got block ids {sorted(ids)}')
    return len(ids)


def _layer_map(task: str, depths: tuple[int, int]) -> tuple[dict[tuple[int, int], str], set[tuple[int, int]]]:
    """Official ``(direction, k)`` -> our layer key, and the official layers we have no use for."""
    space = enumerate_stitches(depths, with_projection=task == 'seg')
    ours = {(spec.src, spec.dst, spec.fits[0]): spec.key for spec in space.layers}
    mapping: dict[tuple[int, int], str] = {}
    unused: set[tuple[int, int]] = set()
    for o in official_stitches(depths):
        if o.kind not in ('SL', 'LS'):
            continue
        src, dst = o.segments[0].anchor, o.segments[1].anchor
        key = ours.get((src, dst, (o.segments[0].end, o.segments[1].start)))
        if key is None:
            if o.trained:
                raise ValueError(f'depths: official stitch {o.id} ({o.kind}) has no counterpart in our stitch '
                                 f'space for depths {list(depths)}; this pair of depths cannot be converted')
            unused.add(o.layers[0])
        elif mapping.setdefault(o.layers[0], key) != key:
            raise ValueError(f'depths: official layer stitch_layers.{o.layers[0][0]}.{o.layers[0][1]} serves '
                             f'two different stitches for depths {list(depths)}; cannot be converted')
    missing = set(ours.values()) - set(mapping.values())
    if missing:
        raise ValueError(f'depths: our layers {sorted(missing)} have no official counterpart')
    return mapping, unused


def unwrap_checkpoint(checkpoint: Mapping) -> tuple[dict[str, torch.Tensor], str]:
    """The state dict inside a checkpoint (``state_dict`` / ``model`` entry, ``module.`` stripped)."""
    for entry in ('state_dict', 'model'):
        if entry in checkpoint and isinstance(checkpoint[entry], Mapping):
            state, where = checkpoint[entry], entry
            break
    else:
        state, where = checkpoint, '<top level>'
    if state and all(k.startswith('module.') for k in state):
        state = {k[len('module.'):]: v for k, v in state.items()}
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise ValueError(f'checkpoint: entries {bad[:5]} of {where!r} are not tensors; not a state dict')
    return dict(state), where


def inspect_official(state: Mapping[str, torch.Tensor], task: str) -> OfficialInfo:
    """Depths, widths, LoRA rank, anchor kind and classes of an official state dict."""
    _check_task(task)
    prefix = 'backbone.' if task == 'seg' else ''
    block = 'layers' if task == 'seg' else 'blocks'
    depths, widths = [], []
    for a in (0, 1):
        keys = [k[len(f'{prefix}anchors.{a}.'):] for k in state if k.startswith(f'{prefix}anchors.{a}.')]
        if not keys:
            raise ValueError(f'checkpoint: no {prefix}anchors.{a}.* keys; is this an official {task} checkpoint?')
        depths.append(_depth(keys, block))
        widths.append(int(state[f'{prefix}anchors.{a}.cls_token'].shape[-1]))
    lora = [v for k, v in state.items() if k.endswith('.transform.lora_A')]
    if task == 'seg':
        cls_key = 'decode_head.conv_seg.weight'
        num_classes = int(state[cls_key].shape[0]) if cls_key in state else None
    else:
        num_classes = int(state['anchors.1.head.weight'].shape[0]) if 'anchors.1.head.weight' in state else None
    return OfficialInfo(task=task, depths=(depths[0], depths[1]), widths=(widths[0], widths[1]),
                        lora_rank=int(lora[0].shape[0]) if lora else None,
                        relpos=any('relative_position_bias_table' in k for k in state), num_classes=num_classes)


def official_to_ours(state: Mapping[str, torch.Tensor], task: str, *, merge_lora: bool = False,
                     lora_alpha: float = 1.0) -> tuple[dict[str, torch.Tensor], ConversionReport, OfficialInfo]:
    """Convert an official state dict to ours.

    Args:
        state: Official state dict (see ``unwrap_checkpoint``).
        task: ``'cls'`` or ``'seg'``.
        merge_lora: Fold each low-rank update into its weight (our layers then have no rank).
        lora_alpha: Official LoRA alpha (1 in the published code).

    Raises:
        ValueError: Any key left over, a bad shape or an unsupported pair of depths.
    """
    info = inspect_official(state, task)
    if info.depths[0] > info.depths[1]:
        raise ValueError(f'checkpoint: anchors.0 ({info.depths[0]} blocks) is deeper than anchors.1 '
                         f'({info.depths[1]}); the official code keeps the small anchor first')
    prefix = 'backbone.' if task == 'seg' else ''
    rules = _anchor_rules(task)
    layer_map, unused = _layer_map(task, info.depths)
    report, out = ConversionReport(), {}
    lora_groups: dict[str, dict[str, str]] = {}
    for key, value in state.items():
        if task == 'seg' and key.startswith(HEAD_PREFIXES):
            out[key] = value
            report.mapped.append((key, key))
            continue
        if not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        anchor = re.match(r'anchors\.(\d)\.(.+)', name)
        layer = re.fullmatch(r'stitch_layers\.(\d)\.(\d+)\.transform\.(weight|bias|lora_A|lora_B)', name)
        if anchor:
            a, rest = anchor.groups()
            if task == 'seg' and (m := _REL_INDEX.fullmatch(rest)):
                _check_rel_index(key, value, state[f'{prefix}anchors.{a}.pos_embed'])
                report.checked.append(key)
                continue
            ours = _rename(rest, rules, reverse=False)
            if ours is not None:
                dst = f'{OURS_PREFIX}anchors.{a}.model.{ours}'
                out[dst] = value
                report.mapped.append((key, dst))
        elif layer:
            d, k, param = int(layer.group(1)), int(layer.group(2)), layer.group(3)
            if (d, k) in unused:
                report.dropped.append((key, 'official SL layer after the small anchor\'s last block: '
                                            'no trained stitch uses it and this task has no dense outputs'))
            elif (d, k) in layer_map:
                lora_groups.setdefault(layer_map[(d, k)], {})[param] = key
    for our_key, params in lora_groups.items():
        _convert_layer(state, our_key, params, report, out, merge_lora, lora_alpha)
    left = sorted(set(state) - report.consumed)
    if left:
        raise ValueError(f'checkpoint: {len(left)} key(s) not converted: {left[:10]}')
    return out, report, info


def _check_rel_index(key: str, value: torch.Tensor, pos_embed: torch.Tensor) -> None:
    grid = _square_grid(pos_embed, key)
    if not torch.equal(value.long().cpu(), relative_position_index(grid)):
        raise ValueError(f'checkpoint: {key} differs from the BEiT index of a {grid[0]}x{grid[1]} grid')


def _square_grid(pos_embed: torch.Tensor, key: str) -> tuple[int, int]:
    n = int(pos_embed.shape[1])
    g = math.isqrt(n)
    if g * g != n:
        raise ValueError(f'checkpoint: {key}: position embedding of {n} tokens is not a square patch grid '
                         '(no class-token entry expected)')
    return (g, g)


def _convert_layer(state, our_key: str, params: dict[str, str], report: ConversionReport,
                   out: dict[str, torch.Tensor], merge_lora: bool, lora_alpha: float) -> None:
    if 'weight' not in params or 'bias' not in params or ('lora_A' in params) != ('lora_B' in params):
        raise ValueError(f'checkpoint: stitching layer for {our_key} has parameters {sorted(params)}; '
                         'expected weight, bias and optionally lora_A + lora_B')
    dst = f'{OURS_PREFIX}stitch_layers.{our_key}.'
    out[dst + 'bias'] = state[params['bias']]
    report.mapped.append((params['bias'], dst + 'bias'))
    if 'lora_A' not in params:
        out[dst + 'weight'] = state[params['weight']]
        report.mapped.append((params['weight'], dst + 'weight'))
    elif merge_lora:
        a, b = state[params['lora_A']], state[params['lora_B']]
        w = state[params['weight']]
        out[dst + 'weight'] = (w.double() + (lora_alpha / a.shape[0]) * (b.double() @ a.double())).to(w.dtype)
        report.merged.append(((params['weight'], params['lora_A'], params['lora_B']), dst + 'weight'))
    else:
        for src, ours in (('weight', 'weight'), ('lora_A', 'lora_a'), ('lora_B', 'lora_b')):
            out[dst + ours] = state[params[src]]
            report.mapped.append((params[src], dst + ours))
    out[dst + 'initialised'] = torch.tensor(True)
    report.filled.append((dst + 'initialised', 'trained official layer'))


def ours_to_official(state: Mapping[str, torch.Tensor], task: str) -> tuple[dict[str, torch.Tensor], ConversionReport]:
    """Convert our state dict (as written by ``official_to_ours`` or training) to the official layout.

    Raises:
        ValueError: Any key left over or an unsupported pair of depths.
    """
    _check_task(task)
    prefix = 'backbone.' if task == 'seg' else ''
    block = 'blocks'
    anchors_keys = [[k[len(f'{OURS_PREFIX}anchors.{a}.model.'):] for k in state
                     if k.startswith(f'{OURS_PREFIX}anchors.{a}.model.')] for a in (0, 1)]
    if not all(anchors_keys):
        raise ValueError(f'checkpoint: expected {OURS_PREFIX}anchors.0/1.model.* keys')
    depths = (_depth(anchors_keys[0], block), _depth(anchors_keys[1], block))
    layer_map, unused = _layer_map(task, depths)
    inverse = {v: k for k, v in layer_map.items()}
    rules = _anchor_rules(task)
    report, out = ConversionReport(), {}
    for key, value in state.items():
        if task == 'seg' and key.startswith(HEAD_PREFIXES):
            out[key] = value
            report.mapped.append((key, key))
            continue
        anchor = re.match(rf'{re.escape(OURS_PREFIX)}anchors\.(\d)\.model\.(.+)', key)
        layer = re.fullmatch(rf'{re.escape(OURS_PREFIX)}stitch_layers\.(\w+)\.(weight|bias|lora_a|lora_b|initialised)',
                             key)
        if anchor:
            a, rest = anchor.groups()
            name = _rename(rest, rules, reverse=True)
            if name is not None:
                dst = f'{prefix}anchors.{a}.{name}'
                out[dst] = value
                report.mapped.append((key, dst))
                if task == 'seg' and rest.endswith('attn.relative_position_bias_table'):
                    n = rest.split('.')[1]
                    idx = f'{prefix}anchors.{a}.layers.{n}.attn.relative_position_index'
                    out[idx] = relative_position_index(_square_grid(state[f'{OURS_PREFIX}anchors.{a}.model.pos_embed'],
                                                                    key))
                    report.filled.append((idx, 'rebuilt from the patch grid'))
        elif layer and layer.group(1) in inverse:
            d, k = inverse[layer.group(1)]
            param = layer.group(2)
            if param == 'initialised':
                report.dropped.append((key, 'our least-squares flag; the official layout has none'))
                continue
            dst = f'{prefix}stitch_layers.{d}.{k}.transform.' + {'lora_a': 'lora_A', 'lora_b': 'lora_B'}.get(param, param)
            out[dst] = value
            report.mapped.append((key, dst))
    for d, k in sorted(unused):
        ref = next(v for kk, v in out.items() if kk.startswith(f'{prefix}stitch_layers.0.') and kk.endswith('weight'))
        base = f'{prefix}stitch_layers.{d}.{k}.transform.'
        out[base + 'weight'] = torch.zeros_like(ref)
        out[base + 'bias'] = torch.zeros(ref.shape[0], dtype=ref.dtype)
        why = 'official SL layer after the small anchor\'s last block, never trained: zeros'
        report.filled += [(base + 'weight', why), (base + 'bias', why)]
        rank_ref = [v for kk, v in out.items() if kk.startswith(f'{prefix}stitch_layers.0.') and kk.endswith('lora_A')]
        if rank_ref:
            out[base + 'lora_A'] = torch.zeros_like(rank_ref[0])
            out[base + 'lora_B'] = torch.zeros(ref.shape[0], rank_ref[0].shape[0], dtype=ref.dtype)
            report.filled += [(base + 'lora_A', why), (base + 'lora_B', why)]
    left = sorted(set(state) - report.consumed)
    if left:
        raise ValueError(f'checkpoint: {len(left)} key(s) not converted: {left[:10]}')
    return out, report
