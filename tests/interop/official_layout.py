"""Official SN-Netv2 layouts for tiny anchors, built from the published key schema, and a
forward pass written directly from the official semantics (inclusive block routes, stitching
layers after every segment but the last, small-anchor outputs projected by ``stitch_layers.0``).

Nothing here uses ``snnet_mm.interop``: it is the independent reference the converter is tested
against.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

DS, DL = 3, 6
WIDTHS = (32, 64)
HEADS = 2
IMG = 32
GRID = (IMG // 16, IMG // 16)
RANK = 4
OUT_LARGE = (1, 3, 5)


def beit_index(gh: int, gw: int) -> torch.Tensor:
    """BEiT relative position index, class token at row/column 0 (written out pairwise)."""
    n = gh * gw
    num = (2 * gh - 1) * (2 * gw - 1) + 3
    idx = torch.empty(n + 1, n + 1, dtype=torch.long)
    for i in range(n):
        for j in range(n):
            dy, dx = i // gw - j // gw, i % gw - j % gw
            idx[i + 1, j + 1] = (dy + gh - 1) * (2 * gw - 1) + dx + gw - 1
    idx[0, :] = num - 3
    idx[:, 0] = num - 2
    idx[0, 0] = num - 1
    return idx


def configs(ds: int, dl: int) -> list[dict]:
    """Official configurations, in the official form: comb ids, inclusive routes, layer ids."""
    r = dl // ds
    m = [i * ds // dl for i in range(dl)]
    sl = [dict(cfg=(i, (i + 1) * r), layer=i) for i in range(ds)]
    ls = [dict(cfg=(i, m[i] + 1), layer=i // r) for i in range(dl) if i % 2 == 1 and i < dl - 1]
    out = [dict(comb=[0]), dict(comb=[1])]
    out += [dict(comb=[0, 1], route=[(0, s['cfg'][0]), (s['cfg'][1], dl)], layers=[s['layer'], -1],
                 trained=s['cfg'][0] != ds - 1) for s in sl]
    out += [dict(comb=[1, 0], route=[(0, s['cfg'][0]), (s['cfg'][1], ds)], layers=[s['layer'], -1]) for s in ls]
    out += [dict(comb=[1, 0, 1], route=[(0, a['cfg'][0]), (a['cfg'][1], b['cfg'][0]), (b['cfg'][1], dl)],
                 layers=[a['layer'], b['layer'], -1])
            for a in ls for b in sl if b['layer'] != ds - 1 and b['cfg'][0] >= a['cfg'][1]]
    out += [dict(comb=[0, 1, 0], route=[(0, a['cfg'][0]), (a['cfg'][1], b['cfg'][0]), (b['cfg'][1], ds)],
                 layers=[a['layer'], b['layer'], -1])
            for a in sl for b in ls if b['cfg'][0] >= a['cfg'][1]]
    return out


def _rand(*shape, scale=0.2):
    return torch.randn(*shape) * scale


def _stitch_layers(sd: dict, prefix: str, rank: int | None, depths: tuple[int, int] = (DS, DL)) -> None:
    ws, wl = WIDTHS
    num_ls = sum(1 for c in configs(*depths) if c['comb'] == [1, 0])
    for d, count, (fin, fout) in ((0, depths[0], (ws, wl)), (1, num_ls, (wl, ws))):
        for k in range(count):
            p = f'{prefix}stitch_layers.{d}.{k}.transform.'
            sd[p + 'weight'], sd[p + 'bias'] = _rand(fout, fin), _rand(fout)
            if rank:
                sd[p + 'lora_A'], sd[p + 'lora_B'] = _rand(rank, fin), _rand(fout, rank)


def seg_state(rank: int | None = RANK, depths: tuple[int, int] = (DS, DL), img: int = IMG) -> dict[str, torch.Tensor]:
    """Official segmentation state dict: mmseg MAE anchors, stitching layers, SETR-UP head keys."""
    sd: dict[str, torch.Tensor] = {}
    gh, gw = img // 16, img // 16
    for a, (depth, w) in enumerate(zip(depths, WIDTHS)):
        p = f'backbone.anchors.{a}.'
        sd[p + 'cls_token'], sd[p + 'pos_embed'] = _rand(1, 1, w), _rand(1, gh * gw, w)
        sd[p + 'patch_embed.projection.weight'] = _rand(w, 3, 16, 16, scale=0.02)
        sd[p + 'patch_embed.projection.bias'] = _rand(w)
        for n in range(depth):
            q = f'{p}layers.{n}.'
            for ln in ('ln1', 'ln2'):
                sd[f'{q}{ln}.weight'], sd[f'{q}{ln}.bias'] = 1 + _rand(w), _rand(w)
            sd[q + 'attn.qkv.weight'], sd[q + 'attn.qkv.bias'] = _rand(3 * w, w), _rand(3 * w)
            sd[q + 'attn.proj.weight'], sd[q + 'attn.proj.bias'] = _rand(w, w), _rand(w)
            sd[q + 'attn.relative_position_bias_table'] = _rand((2 * gh - 1) * (2 * gw - 1) + 3, HEADS)
            sd[q + 'attn.relative_position_index'] = beit_index(gh, gw)
            sd[q + 'gamma_1'], sd[q + 'gamma_2'] = 1 + _rand(w), 1 + _rand(w)
            sd[q + 'ffn.layers.0.0.weight'], sd[q + 'ffn.layers.0.0.bias'] = _rand(4 * w, w), _rand(4 * w)
            sd[q + 'ffn.layers.1.weight'], sd[q + 'ffn.layers.1.bias'] = _rand(w, 4 * w), _rand(w)
    _stitch_layers(sd, 'backbone.', rank, depths)
    sd['decode_head.conv_seg.weight'], sd['decode_head.conv_seg.bias'] = _rand(5, 16, 1, 1), _rand(5)
    sd['auxiliary_head.0.conv_seg.weight'] = _rand(5, 16, 1, 1)
    return sd


def cls_state(rank: int | None = RANK, num_classes: int = 7,
              depths: tuple[int, int] = (DS, DL)) -> dict[str, torch.Tensor]:
    """Official classification state dict: DeiT3 ``vit_models`` anchors and stitching layers."""
    sd: dict[str, torch.Tensor] = {}
    gh, gw = GRID
    for a, (depth, w) in enumerate(zip(depths, WIDTHS)):
        p = f'anchors.{a}.'
        sd[p + 'cls_token'], sd[p + 'pos_embed'] = _rand(1, 1, w), _rand(1, gh * gw, w)
        sd[p + 'patch_embed.proj.weight'], sd[p + 'patch_embed.proj.bias'] = _rand(w, 3, 16, 16, scale=0.02), _rand(w)
        for n in range(depth):
            q = f'{p}blocks.{n}.'
            for ln in ('norm1', 'norm2'):
                sd[f'{q}{ln}.weight'], sd[f'{q}{ln}.bias'] = 1 + _rand(w), _rand(w)
            sd[q + 'attn.qkv.weight'], sd[q + 'attn.qkv.bias'] = _rand(3 * w, w), _rand(3 * w)
            sd[q + 'attn.proj.weight'], sd[q + 'attn.proj.bias'] = _rand(w, w), _rand(w)
            sd[q + 'gamma_1'], sd[q + 'gamma_2'] = 1 + _rand(w), 1 + _rand(w)
            sd[q + 'mlp.fc1.weight'], sd[q + 'mlp.fc1.bias'] = _rand(4 * w, w), _rand(4 * w)
            sd[q + 'mlp.fc2.weight'], sd[q + 'mlp.fc2.bias'] = _rand(w, 4 * w), _rand(w)
        sd[p + 'norm.weight'], sd[p + 'norm.bias'] = 1 + _rand(w), _rand(w)
        sd[p + 'head.weight'], sd[p + 'head.bias'] = _rand(num_classes, w), _rand(num_classes)
    _stitch_layers(sd, '', rank, depths)
    return sd


# ------------------------------------------------------------------ official forward
def _block(sd: dict, q: str, x: torch.Tensor, seg: bool) -> torch.Tensor:
    n1, n2 = ('ln1', 'ln2') if seg else ('norm1', 'norm2')
    fc1, fc2 = ('ffn.layers.0.0', 'ffn.layers.1') if seg else ('mlp.fc1', 'mlp.fc2')
    b, n, c = x.shape
    h = F.layer_norm(x, (c,), sd[f'{q}{n1}.weight'], sd[f'{q}{n1}.bias'], eps=1e-6)
    qkv = F.linear(h, sd[q + 'attn.qkv.weight'], sd[q + 'attn.qkv.bias'])
    qh, kh, vh = qkv.reshape(b, n, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
    attn = (qh * (c // HEADS) ** -0.5) @ kh.transpose(-2, -1)
    if seg:
        table, idx = sd[q + 'attn.relative_position_bias_table'], sd[q + 'attn.relative_position_index']
        attn = attn + table[idx.view(-1)].view(n, n, -1).permute(2, 0, 1)
    h = (attn.softmax(-1) @ vh).transpose(1, 2).reshape(b, n, c)
    x = x + sd[q + 'gamma_1'] * F.linear(h, sd[q + 'attn.proj.weight'], sd[q + 'attn.proj.bias'])
    h = F.layer_norm(x, (c,), sd[f'{q}{n2}.weight'], sd[f'{q}{n2}.bias'], eps=1e-6)
    h = F.linear(F.gelu(F.linear(h, sd[f'{q}{fc1}.weight'], sd[f'{q}{fc1}.bias'])),
                 sd[f'{q}{fc2}.weight'], sd[f'{q}{fc2}.bias'])
    return x + sd[q + 'gamma_2'] * h


def _embed(sd: dict, p: str, img: torch.Tensor, seg: bool) -> torch.Tensor:
    proj = 'patch_embed.projection' if seg else 'patch_embed.proj'
    x = F.conv2d(img, sd[f'{p}{proj}.weight'], sd[f'{p}{proj}.bias'], stride=16).flatten(2).transpose(1, 2)
    x = x + sd[p + 'pos_embed']  # DeiT3: no class-token entry, added before the class token
    return torch.cat([sd[p + 'cls_token'].expand(x.shape[0], -1, -1), x], dim=1)


def _stitch(sd: dict, prefix: str, d: int, k: int, x: torch.Tensor, rank: int | None) -> torch.Tensor:
    if k == -1:
        return x  # the appended nn.Identity
    p = f'{prefix}stitch_layers.{d}.{k}.transform.'
    y = F.linear(x, sd[p + 'weight'], sd[p + 'bias'])
    if rank:
        y = y + (x @ sd[p + 'lora_A'].T @ sd[p + 'lora_B'].T) / rank
    return y


def official_forward(sd: dict, img: torch.Tensor, official_id: int, *, seg: bool, rank: int | None):
    """Logits (classification) or the list of token maps (segmentation) of one official stitch."""
    prefix = 'backbone.' if seg else ''
    depths = (DS, DL)
    cfg = configs(DS, DL)[official_id]
    out_idx = ([j * DS // DL for j in OUT_LARGE], list(OUT_LARGE))
    comb = cfg['comb']
    route = cfg.get('route', [(0, depths[comb[0]] - 1)])
    layers = cfg.get('layers', [-1])
    x = _embed(sd, f'{prefix}anchors.{comb[0]}.', img, seg)
    outs = []
    for i, (m, (begin, end)) in enumerate(zip(comb, route)):
        seg_outs = []
        for n in range(begin, min(end, depths[m] - 1) + 1):
            x = _block(sd, f'{prefix}anchors.{m}.layers.{n}.' if seg else f'anchors.{m}.blocks.{n}.', x, seg)
            if n in out_idx[m]:
                seg_outs.append((n, x))
        if m == 0:
            seg_outs = [(n, _stitch(sd, prefix, 0, n, y, rank)) for n, y in seg_outs]
        outs += [y for _, y in seg_outs]
        x = _stitch(sd, prefix, m, layers[i], x, rank)
    if seg:
        g = GRID
        return [y[:, 1:].reshape(y.shape[0], g[0], g[1], -1).permute(0, 3, 1, 2) for y in outs]
    p = f'anchors.{comb[-1]}.'
    x = F.layer_norm(x, (x.shape[-1],), sd[p + 'norm.weight'], sd[p + 'norm.bias'], eps=1e-6)
    return F.linear(x[:, 0], sd[p + 'head.weight'], sd[p + 'head.bias'])
