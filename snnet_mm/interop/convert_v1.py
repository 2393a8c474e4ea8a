"""Published SN-Net v1 state dicts (``ziplab/SN-Net``) <-> ours, key by key, with a report of every key.

Official layouts, one per code base (``anchors.{a}.*`` for the anchors, cheapest first):

- ``v1-deit`` (``stitching_deit``): timm DeiTs (same names as timm today); stitching layers
  ``stitch_layers.{pair}.{window}.transform.{weight,bias}``;
- ``v1-swin`` (``stitching_swin``, Microsoft's Swin code) and the Swin anchor of
  ``v1-resnet-swin`` (timm 0.6.12): patch merging at the *end* of stage ``i``
  (``layers.{i}.downsample``; timm now runs it at the start of stage ``i + 1``), a plain
  ``head``, persistent ``relative_position_index`` and ``attn_mask`` buffers;
- ``v1-resnet-swin`` (``stitching_resnet_swin``): timm ResNets (same names); stitching layers
  are 1x1 convolutions (``weight`` of shape ``(out, in, 1, 1)``);
- ``v1-levit`` (``stitching_levit``, facebookresearch LeViT): a stem ``patch_embed.{0,2,4,6}``
  of ``Conv2d_BN`` (``c``, ``bn``), one flat ``blocks`` list (per stage: attention and MLP
  residuals alternating, ``m.qkv`` / ``m.proj.1`` / ``m.0`` / ``m.2``; between stages an
  ``AttentionSubsample`` (``kv``, ``q.1``, ``proj.1``) and its MLP residual), heads
  ``head`` / ``head_dist`` (``bn``, ``l``), persistent ``attention_bias_idxs``;
- hierarchical stitching layers: ``stitch_layers.{stage slot}.{pair}.{layer}.transform.*``.
  In stages of unequal depths the k-th stitch uses layer ``floor(k * Df / De)`` (``v1_ids``), so
  one official layer may serve several stitches: it is copied into each of our per-stitch layers.

Ours: ``backbone.net.anchors.{a}.model.*`` (timm names) and ``backbone.net.stitch_layers.<key>.*``.

One semantic difference stays: ``stitching_deit`` ends a stitch (not an anchor) with the ending
anchor's ``forward_head`` alone, without its final norm (its published stitch FLOPs are exactly
that norm below ours); ours ends every stitch like the anchor, so converted v1 DeiT stitches give
other logits than the official code did. The other code bases run their final norms.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Mapping

import torch

from ..stitching.stitch import enumerate_stitches
from .convert import OURS_PREFIX, ConversionReport
from .v1_ids import v1_stitches

CODE_BASES = ('v1-deit', 'v1-swin', 'v1-resnet-swin', 'v1-levit')
#: Stitchable stages of each code base (their stitch-layer slots, in order).
V1_STAGES = {'v1-deit': (), 'v1-swin': (0, 1, 2), 'v1-resnet-swin': (1, 2), 'v1-levit': (0, 1)}
_BN = r'(?P<bn>weight|bias|running_mean|running_var|num_batches_tracked)'


@dataclass(frozen=True)
class V1Info:
    """What an official v1 state dict holds.

    Attributes:
        code_base: One of ``CODE_BASES``.
        families: Family of each anchor (``'vit'``, ``'swin'``, ``'resnet'``, ``'levit'``).
        depths: Each anchor's depth (plain ViTs) or stage depths.
        stages: Stitchable stages.
        num_classes: Classes of the last anchor's head.
    """

    code_base: str
    families: tuple[str, ...]
    depths: tuple[int | tuple[int, ...], ...]
    stages: tuple[int, ...]
    num_classes: int | None


def _check_code_base(code_base: str) -> None:
    if code_base not in CODE_BASES:
        raise ValueError(f'code_base: expected one of {CODE_BASES}, got {code_base!r}')


def _anchor_keys(state: Mapping[str, torch.Tensor], prefix: str) -> dict[int, dict[str, torch.Tensor]]:
    out: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        if m := re.match(rf'{re.escape(prefix)}(\d+)\.(.+)', key):
            out.setdefault(int(m.group(1)), {})[m.group(2)] = value
    if len(out) < 2 or sorted(out) != list(range(len(out))):
        raise ValueError(f'checkpoint: expected {prefix}0.*, {prefix}1.*, ... keys, got anchors {sorted(out)}')
    return out


def _ids(keys, pattern: str) -> list[int]:
    return sorted({int(m.group(1)) for k in keys if (m := re.match(pattern, k))})


def _family(code_base: str, keys) -> str:
    if code_base == 'v1-deit':
        return 'vit'
    if code_base == 'v1-levit':
        return 'levit'
    if code_base == 'v1-swin':
        return 'swin'
    return 'resnet' if 'conv1.weight' in keys else 'swin'


# ------------------------------------------------------------------ LeViT's flat block list
@dataclass(frozen=True)
class _LevitEntry:
    kind: str  # 'attn', 'mlp', 'sub' (attention subsample)
    stage: int
    block: int | None  # block of the stage; None for the subsample and its MLP


def _levit_entries(keys) -> list[_LevitEntry]:
    """Official ``blocks.{i}`` entries -> (kind, stage, block), from the keys alone."""
    flat = _ids(keys, r'blocks\.(\d+)\.')
    entries, stage, block, after_sub = [], 0, 0, False
    for i in flat:
        if f'blocks.{i}.kv.c.weight' in keys:
            entries.append(_LevitEntry('sub', stage + 1, None))
            stage, block, after_sub = stage + 1, 0, True
        elif f'blocks.{i}.m.qkv.c.weight' in keys:
            entries.append(_LevitEntry('attn', stage, block))
            after_sub = False
        elif f'blocks.{i}.m.0.c.weight' in keys:
            entries.append(_LevitEntry('mlp', stage, None if after_sub else block))
            block += 0 if after_sub else 1
            after_sub = False
        else:
            raise ValueError(f'checkpoint: blocks.{i} is neither a LeViT attention, MLP nor subsample entry')
    if flat != list(range(len(flat))):
        raise ValueError(f'checkpoint: expected blocks.0 .. blocks.N, got {flat}')
    return entries


def _levit_depths(keys) -> tuple[int, ...]:
    depths: dict[int, int] = {}
    for e in _levit_entries(keys):
        if e.kind == 'attn':
            depths[e.stage] = depths.get(e.stage, 0) + 1
    return tuple(depths[s] for s in sorted(depths))


def _levit_rename(rest: str, entries: list[_LevitEntry]) -> str | None:
    stem = re.fullmatch(rf'patch_embed\.(0|2|4|6)\.(c\.weight|bn\.{_BN})', rest)
    if stem:
        part = stem.group(2).replace('c.weight', 'linear.weight')
        return f'stem.conv{int(stem.group(1)) // 2 + 1}.{part}'
    head = re.fullmatch(rf'(head|head_dist)\.(?:bn\.{_BN}|l\.(?P<l>weight|bias))', rest)
    if head:
        return f'{head.group(1)}.' + (f'linear.{head.group("l")}' if head.group('l') else f'bn.{head.group("bn")}')
    m = re.fullmatch(r'blocks\.(\d+)\.(.+)', rest)
    if not m or int(m.group(1)) >= len(entries):
        return None
    e, tail = entries[int(m.group(1))], m.group(2)
    norm = rf'(?P<mod>{{}})\.(?:c\.weight|bn\.{_BN})'
    if e.kind == 'sub':
        base = f'stages.{e.stage}.downsample.attn_downsample.'
        names = {'kv': 'kv', 'q.1': 'q.ln', 'proj.1': 'proj.ln'}
    elif e.kind == 'attn':
        base = f'stages.{e.stage}.blocks.{e.block}.attn.'
        names = {'m.qkv': 'qkv', 'm.proj.1': 'proj.ln'}
    else:
        base = (f'stages.{e.stage}.downsample.mlp.' if e.block is None
                else f'stages.{e.stage}.blocks.{e.block}.mlp.')
        names = {'m.0': 'ln1', 'm.2': 'ln2'}
    if e.kind != 'mlp' and tail in ('attention_biases', 'm.attention_biases'):
        return base + 'attention_biases'
    for official, ours in names.items():
        if re.fullmatch(norm.format(re.escape(official)), tail):
            return base + ours + tail[len(official):].replace('.c.weight', '.linear.weight')
    return None


def levit_bias_idxs(resolution: int, stride: int = 1) -> torch.Tensor:
    """LeViT's attention-bias index between query (every ``stride``-th) and key tokens of a square grid."""
    k = [(y, x) for y in range(resolution) for x in range(resolution)]
    q = [(y, x) for y in range(0, resolution, stride) for x in range(0, resolution, stride)]
    return torch.tensor([[abs(qy - ky) * resolution + abs(qx - kx) for ky, kx in k] for qy, qx in q])


def _check_levit_idxs(key: str, value: torch.Tensor) -> None:
    nq, nk = value.shape
    res = math.isqrt(nk)
    stride = 1 if nq == nk else 2
    if res * res != nk or not torch.equal(value.long().cpu(), levit_bias_idxs(res, stride)):
        raise ValueError(f'checkpoint: {key} differs from the LeViT index of a {res}x{res} grid (stride {stride})')


# ------------------------------------------------------------------ Swin's derived buffers
def swin_relative_position_index(window: int) -> torch.Tensor:
    """Swin's relative position index of a ``window`` x ``window`` window."""
    cells = [(y, x) for y in range(window) for x in range(window)]
    return torch.tensor([[(ay - by + window - 1) * (2 * window - 1) + (ax - bx + window - 1) for by, bx in cells]
                         for ay, ax in cells])


def swin_attn_mask(grid: int, window: int, shift: int) -> torch.Tensor:
    """Swin's shifted-window attention mask for a square ``grid`` (``-100`` across regions)."""
    label = torch.zeros(grid, grid)
    bands = (slice(0, -window), slice(-window, -shift), slice(-shift, None))
    for n, (h, w) in enumerate((h, w) for h in bands for w in bands):
        label[h, w] = n
    windows = label.reshape(grid // window, window, grid // window, window).permute(0, 2, 1, 3).reshape(-1, window ** 2)
    diff = windows[:, None, :] - windows[:, :, None]
    return torch.where(diff != 0, torch.tensor(-100.0), torch.tensor(0.0))


def _swin_window(anchor: Mapping[str, torch.Tensor], stage: int, block: int) -> int:
    table = anchor[f'layers.{stage}.blocks.{block}.attn.relative_position_bias_table']
    return (math.isqrt(table.shape[0]) + 1) // 2


def _check_swin_buffer(key: str, rest: str, value: torch.Tensor, anchor: Mapping[str, torch.Tensor]) -> None:
    stage, block = (int(x) for x in re.match(r'layers\.(\d+)\.blocks\.(\d+)\.', rest).groups())
    window = _swin_window(anchor, stage, block)
    if rest.endswith('relative_position_index'):
        expected = swin_relative_position_index(window)
    else:
        grid = math.isqrt(value.shape[0]) * window
        expected = swin_attn_mask(grid, window, window // 2)
    if value.shape != expected.shape or not torch.equal(value.to(expected.dtype).cpu(), expected):
        raise ValueError(f'checkpoint: {key} differs from the buffer Swin derives (window {window})')


def _swin_rename(rest: str, reverse: bool = False) -> str:
    """Official Swin key -> timm's (``reverse``: timm's -> official): patch merging moves one stage
    on, ``head`` becomes ``head.fc``."""
    if m := re.fullmatch(r'layers\.(\d+)\.downsample\.(.+)', rest):
        return f'layers.{int(m.group(1)) + (-1 if reverse else 1)}.downsample.{m.group(2)}'
    if m := re.fullmatch(r'head\.fc\.(weight|bias)' if reverse else r'head\.(weight|bias)', rest):
        return f'head.{m.group(1)}' if reverse else f'head.fc.{m.group(1)}'
    return rest


# ------------------------------------------------------------------ structure of a checkpoint
def _depths(family: str, keys) -> int | tuple[int, ...]:
    if family == 'vit':
        return len(_ids(keys, r'blocks\.(\d+)\.'))
    if family == 'levit':
        return _levit_depths(keys)
    if family == 'resnet':
        return tuple(len(_ids(keys, rf'layer{i}\.(\d+)\.')) for i in range(1, 5))
    return tuple(len(_ids(keys, rf'layers\.{i}\.blocks\.(\d+)\.')) for i in range(len(_ids(keys, r'layers\.(\d+)\.'))))


def inspect_v1(state: Mapping[str, torch.Tensor], code_base: str) -> V1Info:
    """Families, depths, stitchable stages and classes of an official v1 state dict."""
    _check_code_base(code_base)
    anchors = _anchor_keys(state, 'anchors.')
    families = tuple(_family(code_base, anchors[a]) for a in sorted(anchors))
    depths = tuple(_depths(f, anchors[a]) for a, f in zip(sorted(anchors), families))
    last = anchors[len(anchors) - 1]
    head = next((v for k, v in last.items() if k in ('head.weight', 'fc.weight', 'head.l.weight')), None)
    return V1Info(code_base, families, depths, V1_STAGES[code_base], None if head is None else int(head.shape[0]))


def _layer_targets(info: V1Info) -> dict[tuple[int, ...], list[str]]:
    """Official stitching-layer address -> our layer keys it becomes."""
    stages = info.stages or None
    space = enumerate_stitches(list(info.depths), mode='v1', stages=stages)
    ours = {s.segments: s.layers[0] for s in space.stitches if s.kind == 'SL'}
    targets: dict[tuple[int, ...], list[str]] = {}
    for o in v1_stitches(info.depths, stages=info.stages):
        if o.layer:
            key = ours[o.segments]
            if key not in targets.setdefault(o.layer, []):
                targets[o.layer].append(key)
    return targets


# ------------------------------------------------------------------ official -> ours
def v1_to_ours(state: Mapping[str, torch.Tensor], code_base: str) -> tuple[dict[str, torch.Tensor], ConversionReport, V1Info]:
    """Convert an official SN-Net v1 state dict (see ``unwrap_checkpoint``) to ours.

    Raises:
        ValueError: A key left over, a derived buffer that differs from the one rebuilt, a
            stitching layer with an unexpected address or parameters.
    """
    info = inspect_v1(state, code_base)
    anchors = _anchor_keys(state, 'anchors.')
    report, out = ConversionReport(), {}
    for a, family in enumerate(info.families):
        _anchor_to_ours(a, family, anchors[a], report, out)
    targets = _layer_targets(info)
    slots = 2 if not info.stages else 3
    pattern = r'stitch_layers\.' + r'\.'.join([r'(\d+)'] * slots) + r'\.transform\.(weight|bias)'
    for key, value in state.items():
        if not key.startswith('stitch_layers.'):
            continue
        m = re.fullmatch(pattern, key)
        if m is None:
            raise ValueError(f'checkpoint: unexpected stitching-layer key {key!r} for {code_base} (expected '
                             f'stitch_layers.{".".join(["N"] * slots)}.transform.weight|bias)')
        address, param = tuple(int(x) for x in m.groups()[:-1]), m.groups()[-1]
        if address not in targets:
            report.dropped.append((key, 'official layer no v1 stitch uses'))
            continue
        if param == 'weight' and value.dim() == 4:  # 1x1 convolution (ResNet fronts)
            value = value[:, :, 0, 0]
        for our in targets[address]:
            dst = f'{OURS_PREFIX}stitch_layers.{our}.{param}'
            out[dst] = value.clone()
            report.mapped.append((key, dst))
            if param == 'bias':
                out[f'{OURS_PREFIX}stitch_layers.{our}.initialised'] = torch.tensor(True)
                report.filled.append((f'{OURS_PREFIX}stitch_layers.{our}.initialised', 'trained official layer'))
    missing = {our for ours in targets.values() for our in ours} - {
        k[len(f'{OURS_PREFIX}stitch_layers.'):].rsplit('.', 1)[0] for k in out if k.startswith(f'{OURS_PREFIX}stitch_layers.')}
    if missing:
        raise ValueError(f'checkpoint: no official stitching layer for our {sorted(missing)[:5]}')
    left = sorted(set(state) - report.consumed)
    if left:
        raise ValueError(f'checkpoint: {len(left)} key(s) not converted: {left[:10]}')
    return out, report, info


def _anchor_to_ours(a: int, family: str, keys: Mapping[str, torch.Tensor], report: ConversionReport,
                    out: dict[str, torch.Tensor]) -> None:
    entries = _levit_entries(keys) if family == 'levit' else []
    for rest, value in keys.items():
        src = f'anchors.{a}.{rest}'
        if family == 'levit' and rest.endswith('attention_bias_idxs'):
            _check_levit_idxs(src, value)
            report.checked.append(src)
            continue
        if family == 'swin' and rest.endswith(('relative_position_index', 'attn_mask')):
            _check_swin_buffer(src, rest, value, keys)
            report.checked.append(src)
            continue
        ours = _levit_rename(rest, entries) if family == 'levit' else _swin_rename(rest) if family == 'swin' else rest
        if ours is None:
            continue  # left over: reported as an error by the caller
        dst = f'{OURS_PREFIX}anchors.{a}.model.{ours}'
        out[dst] = value
        report.mapped.append((src, dst))


# ------------------------------------------------------------------ ours -> official
def ours_to_v1(state: Mapping[str, torch.Tensor], code_base: str, *,
               img_size: int = 224) -> tuple[dict[str, torch.Tensor], ConversionReport]:
    """Convert our state dict to the official v1 layout (derived buffers rebuilt for ``img_size``).

    Args:
        state: Our state dict (``backbone.net.*`` keys).
        code_base: One of ``CODE_BASES``.
        img_size: Input size the official Swin masks and LeViT bias indices are rebuilt for.

    Raises:
        ValueError: Our layers that share one official layer differ, or a key is left over.
    """
    _check_code_base(code_base)
    ours_anchors = _anchor_keys({k[len(OURS_PREFIX):]: v for k, v in state.items() if k.startswith(OURS_PREFIX)},
                                'anchors.')
    ours_anchors = {a: {k[len('model.'):]: v for k, v in keys.items()} for a, keys in ours_anchors.items()}
    report, out = ConversionReport(), {}
    for a, keys in ours_anchors.items():
        inverse = _inverse_anchor_rules(code_base, keys)
        for rest, value in keys.items():
            name = inverse(rest)
            if name is None:
                continue
            src, dst = f'{OURS_PREFIX}anchors.{a}.model.{rest}', f'anchors.{a}.{name}'
            out[dst] = value
            report.mapped.append((src, dst))
        _fill_buffers(code_base, a, out, img_size, report)
    info = inspect_v1(out, code_base)
    conv = code_base == 'v1-resnet-swin'
    for address, our_keys in _layer_targets(info).items():
        base = 'stitch_layers.' + '.'.join(str(x) for x in address) + '.transform.'
        for param in ('weight', 'bias'):
            srcs = [f'{OURS_PREFIX}stitch_layers.{k}.{param}' for k in our_keys]
            values = [state[s] for s in srcs]
            if any(not torch.equal(v, values[0]) for v in values[1:]):
                raise ValueError(f'checkpoint: our layers {our_keys} all become {base}{param} in the official layout '
                                 'but differ (trained apart); the v1 layout cannot hold them')
            value = values[0][:, :, None, None] if conv and param == 'weight' else values[0]
            out[base + param] = value
            report.merged.append((tuple(srcs), base + param))
        for k in our_keys:
            report.dropped.append((f'{OURS_PREFIX}stitch_layers.{k}.initialised',
                                   'our least-squares flag; the official layout has none'))
    left = sorted(set(state) - report.consumed)
    if left:
        raise ValueError(f'checkpoint: {len(left)} key(s) not converted: {left[:10]}')
    return out, report


def _inverse_anchor_rules(code_base: str, keys: Mapping[str, torch.Tensor]) -> Callable[[str], str | None]:
    """Our timm key -> the official one, for one anchor."""
    family = _family(code_base, {'conv1.weight'} if 'conv1.weight' in keys else set(keys))
    if family == 'levit':
        depths = tuple(len(_ids(keys, rf'stages\.{s}\.blocks\.(\d+)\.')) for s in range(len(_ids(keys, r'stages\.(\d+)\.'))))
        entries = []
        for s, d in enumerate(depths):
            if s:
                entries += [_LevitEntry('sub', s, None), _LevitEntry('mlp', s, None)]
            for b in range(d):
                entries += [_LevitEntry('attn', s, b), _LevitEntry('mlp', s, b)]
        forward = {}
        for i, e in enumerate(entries):
            for official in _levit_official_keys(i, e):
                ours = _levit_rename(official, entries)
                if ours is not None:
                    forward[ours] = official
        for n in (1, 2, 3, 4):
            for part in ('c.weight', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked'):
                official = f'patch_embed.{2 * (n - 1)}.{part}'
                forward[_levit_rename(official, entries)] = official
        for head in ('head', 'head_dist'):
            for part in ('bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked',
                         'l.weight', 'l.bias'):
                forward[_levit_rename(f'{head}.{part}', entries)] = f'{head}.{part}'
        return forward.get
    if family == 'swin':
        return lambda rest: _swin_rename(rest, reverse=True)
    return lambda rest: rest


def _levit_official_keys(i: int, e: _LevitEntry) -> list[str]:
    bn = ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked')
    mods = {'sub': ('kv', 'q.1', 'proj.1'), 'attn': ('m.qkv', 'm.proj.1'), 'mlp': ('m.0', 'm.2')}[e.kind]
    keys = [f'blocks.{i}.{m}.c.weight' for m in mods] + [f'blocks.{i}.{m}.bn.{p}' for m in mods for p in bn]
    if e.kind == 'sub':
        keys.append(f'blocks.{i}.attention_biases')
    elif e.kind == 'attn':
        keys.append(f'blocks.{i}.m.attention_biases')
    return keys


def _fill_buffers(code_base: str, a: int, out: dict[str, torch.Tensor], img_size: int,
                  report: ConversionReport) -> None:
    """Rebuild the persistent derived buffers of the official layout for anchor ``a``."""
    keys = {k[len(f'anchors.{a}.'):]: v for k, v in out.items() if k.startswith(f'anchors.{a}.')}
    if _family(code_base, keys) == 'swin':
        for key in [k for k in keys if k.endswith('attn.relative_position_bias_table')]:
            stage, block = (int(x) for x in re.match(r'layers\.(\d+)\.blocks\.(\d+)\.', key).groups())
            window = _swin_window(keys, stage, block)
            base = f'anchors.{a}.layers.{stage}.blocks.{block}.'
            out[base + 'attn.relative_position_index'] = swin_relative_position_index(window)
            report.filled.append((base + 'attn.relative_position_index', 'rebuilt from the window size'))
            grid = img_size // 4 // 2 ** stage
            if block % 2 == 1 and grid > window:
                out[base + 'attn_mask'] = swin_attn_mask(grid, window, window // 2)
                report.filled.append((base + 'attn_mask', f'rebuilt for {img_size} px inputs'))
    elif _family(code_base, keys) == 'levit':
        entries = _levit_entries(keys)
        res = img_size // 16
        for i, e in enumerate(entries):
            if e.kind == 'mlp':
                continue
            key = f'anchors.{a}.blocks.{i}.' + ('attention_bias_idxs' if e.kind == 'sub' else 'm.attention_bias_idxs')
            grid = -(-res // 2 ** (e.stage - 1 if e.kind == 'sub' else e.stage))
            out[key] = levit_bias_idxs(grid, 2 if e.kind == 'sub' else 1)
            report.filled.append((key, 'rebuilt from the token grid'))
