"""Official SN-Net v1 layouts for tiny anchors, and a forward pass written from the official semantics.

The official state dicts are written here from the published key schema of each code base
(``ziplab/SN-Net``): Swin's patch merging at the end of its stage with a plain ``head`` and the
persistent ``relative_position_index`` / ``attn_mask`` buffers, LeViT's flat ``blocks`` list in
module order, stitching layers at ``stitch_layers.[slot.]pair.layer`` (1x1 convolutions for ResNet
fronts). The reference forward loads the anchors through timm's own converters of the original
layouts (Swin's ``checkpoint_filter_fn``; LeViT by module order, as timm first converted
the official weights) and runs the official route: front anchor up to block ``f`` of a
stage, the official layer (addressed as the official ``get_stitch_configs`` does, with
``F.interpolate`` for unequal depths), end anchor from block ``e``, except that a plain-ViT stitch
ends with the final norm as ours does (``stitching_deit`` leaves it out; docs/recipes.md). Nothing
here uses ``snnet_mm.interop``.
"""
from __future__ import annotations

import itertools

import timm
from timm.models.swin_transformer import checkpoint_filter_fn as swin_checkpoint_filter
import torch
import torch.nn.functional as F

IMG = 32


def levit(depths, dims, name='levit_192'):
    return dict(name=name, model_kwargs=dict(embed_dim=dims, key_dim=8, num_heads=(2, 3, 4), depth=depths,
                                             img_size=IMG, num_classes=6))


def swin(depths, dim=16):
    return dict(name='swin_tiny_patch4_window7_224',
                model_kwargs=dict(depths=depths, embed_dim=dim, num_heads=(1, 1, 2, 2), window_size=2, img_size=IMG,
                                  num_classes=6))


def resnet(layers, bottleneck=False, base=8):
    return dict(name='resnet50' if bottleneck else 'resnet18',
                model_kwargs=dict(layers=layers, channels=tuple(base * 2 ** i for i in range(4)), stem_width=base,
                                  num_classes=6))


def deit(depth, dim):
    return dict(name='deit_tiny_patch16_224',
                model_kwargs=dict(embed_dim=dim, depth=depth, num_heads=2, img_size=IMG, num_classes=6))


# code base -> (anchors, stitchable stages); tiny anchors with each code base's stage structure.
CASES = {
    'v1-deit': ([deit(3, 16), deit(3, 24), deit(3, 32)], ()),
    'v1-swin': ([swin((1, 1, 2, 1)), swin((1, 2, 4, 1)), swin((1, 2, 4, 1), dim=24)], (0, 1, 2)),
    'v1-resnet-swin:r18-r50': ([resnet((1, 2, 2, 1)), resnet((1, 4, 6, 1), bottleneck=True)], (1, 2)),
    'v1-resnet-swin:r18-swin': ([resnet((1, 2, 2, 1)), swin((1, 2, 6, 1))], (1, 2)),
    'v1-levit': ([levit((3, 3, 1), (16, 24, 32)), levit((3, 3, 1), (24, 32, 40), 'levit_256')], (0, 1)),
}


def build(spec: dict) -> torch.nn.Module:
    return timm.create_model(spec['name'], **spec['model_kwargs']).eval()


def randomised(model: torch.nn.Module, seed: int) -> dict[str, torch.Tensor]:
    """The model's state dict with every float tensor random (variances positive)."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for k, v in model.state_dict().items():
        if v.is_floating_point():
            r = torch.randn(v.shape, generator=g) * 0.2
            v = r.abs() + 0.5 if k.endswith('running_var') else r
        out[k] = v.clone()
    return out


# ------------------------------------------------------------------ the official schema
def swin_official(ours: dict[str, torch.Tensor], model) -> dict[str, torch.Tensor]:
    """Microsoft / timm-0.6 Swin keys: merging at the end of a stage, plain head, persistent buffers."""
    out = {}
    for k, v in ours.items():
        parts = k.split('.')
        if parts[0] == 'layers' and parts[2] == 'downsample':
            k = '.'.join(['layers', str(int(parts[1]) - 1), *parts[2:]])
        elif k.startswith('head.fc.'):
            k = 'head.' + k[len('head.fc.'):]
        out[k] = v
    for i, stage in enumerate(model.layers):
        for j, blk in enumerate(stage.blocks):
            w = blk.window_size[0]
            coords = torch.stack(torch.meshgrid(torch.arange(w), torch.arange(w), indexing='ij')).flatten(1)
            rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (w - 1)
            out[f'layers.{i}.blocks.{j}.attn.relative_position_index'] = rel[..., 0] * (2 * w - 1) + rel[..., 1]
            shift = blk.shift_size[0]
            if shift:
                h = blk.input_resolution[0]
                img = torch.zeros(1, h, h, 1)
                cnt = 0
                for hs in (slice(0, -w), slice(-w, -shift), slice(-shift, None)):
                    for ws in (slice(0, -w), slice(-w, -shift), slice(-shift, None)):
                        img[:, hs, ws, :] = cnt
                        cnt += 1
                win = img.view(1, h // w, w, h // w, w, 1).permute(0, 1, 3, 2, 4, 5).reshape(-1, w * w)
                mask = win.unsqueeze(1) - win.unsqueeze(2)
                out[f'layers.{i}.blocks.{j}.attn_mask'] = mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)
    return out


def levit_official_keys(depths: tuple[int, ...]) -> list[str]:
    """facebookresearch LeViT keys in module order (the order timm's converter zips by)."""
    bn = ['bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']
    keys = [f'patch_embed.{i}.{p}' for i in (0, 2, 4, 6) for p in ['c.weight'] + bn]
    n = 0

    def mlp():
        return [f'blocks.{n}.m.{i}.{p}' for i in (0, 2) for p in ['c.weight'] + bn]

    for s, d in enumerate(depths):
        if s:
            keys += [f'blocks.{n}.attention_biases'] + [f'blocks.{n}.{m}.{p}' for m in ('kv', 'q.1', 'proj.1')
                                                        for p in ['c.weight'] + bn]
            n += 1
            keys += mlp()
            n += 1
        for _ in range(d):
            keys += [f'blocks.{n}.m.attention_biases'] + [f'blocks.{n}.m.{m}.{p}' for m in ('qkv', 'proj.1')
                                                          for p in ['c.weight'] + bn]
            n += 1
            keys += mlp()
            n += 1
    keys += [f'{h}.{p}' for h in ('head', 'head_dist') for p in bn + ['l.weight', 'l.bias']]
    return keys


def levit_official(ours: dict[str, torch.Tensor], depths: tuple[int, ...]) -> dict[str, torch.Tensor]:
    keys = levit_official_keys(depths)
    assert len(keys) == len(ours), (len(keys), len(ours))
    out = dict(zip(keys, ours.values()))
    for k in [k for k in keys if k.endswith('attention_biases')]:  # persistent in the official code
        n = out[k].shape[1]
        idx_key = k.replace('attention_biases', 'attention_bias_idxs')
        res = int(round(n ** 0.5))
        q = res if '.m.' in k else (res - 1) // 2 + 1
        stride = 1 if '.m.' in k else 2
        pts = list(itertools.product(range(res), range(res)))
        qpts = list(itertools.product(range(q), range(q)))
        offsets: dict = {}
        idxs = []
        for p1 in qpts:
            for p2 in pts:
                off = (abs(p1[0] * stride - p2[0]), abs(p1[1] * stride - p2[1]))
                idxs.append(offsets.setdefault(off, len(offsets)))
        out[idx_key] = torch.tensor(idxs).view(len(qpts), len(pts))
    return out


def official_configs(depths, stages) -> list[dict]:
    """The official configurations: anchors, then (stage,) pair, stitch, with the official layer id."""
    def paired(d, forward_only):
        cfgs, maps, layer = [], [], -1
        for i in range(d):
            new = [(j, k) for j in range(i, min(i + 2, d)) for k in range(i, min(i + 2, d))
                   if (j, k) not in cfgs and not (forward_only and j >= k)]
            if new:
                layer += 1
                cfgs += new
                maps += [layer] * len(new)
        return list(zip(cfgs, maps))

    def unpaired(df, de):
        ends = F.interpolate(torch.arange(df, dtype=torch.float)[None, None], de).squeeze().long().tolist()
        cfgs = [(f, i) for f in range(df) for i, m in enumerate(ends) if m == f and f < i]
        return list(zip(cfgs, ends))  # the official zip: the k-th stitch takes the k-th end mapping

    out = [dict(comb=(a,)) for a in range(len(depths))]
    if not stages:
        for a in range(len(depths) - 1):
            out += [dict(comb=(a, a + 1), cfg=c, layer=(a, k)) for c, k in paired(depths[a], False)]
        return out
    for slot, st in enumerate(stages):
        for a in range(len(depths) - 1):
            df, de = depths[a][st], depths[a + 1][st]
            pairs = paired(df, True) if df == de else unpaired(df, de)
            out += [dict(comb=(a, a + 1), stage=st, cfg=c, layer=(slot, a, k)) for c, k in pairs]
    return out


def official_state(case: str) -> tuple[dict[str, torch.Tensor], list[torch.nn.Module]]:
    """An official v1 state dict for the tiny anchors of ``case``, and the timm models it describes."""
    specs, stages = CASES[case]
    models = [build(s) for s in specs]
    state = {}
    for a, (spec, model) in enumerate(zip(specs, models)):
        ours = randomised(model, a)
        model.load_state_dict(ours)
        if spec['name'].startswith('swin'):
            anchor = swin_official(ours, model)
        elif spec['name'].startswith('levit'):
            anchor = levit_official(ours, spec['model_kwargs']['depth'])
        else:
            anchor = ours
        state.update({f'anchors.{a}.{k}': v for k, v in anchor.items()})
    depths = [_stage_depths(m) for m in models] if stages else [len(m.blocks) for m in models]
    g = torch.Generator().manual_seed(99)
    for c in official_configs(depths, stages):
        if 'layer' not in c:
            continue
        a, b = c['comb']
        fin, fout = _width(models[a], c.get('stage')), _width(models[b], c.get('stage'))
        base = 'stitch_layers.' + '.'.join(map(str, c['layer'])) + '.transform.'
        conv = case.startswith('v1-resnet-swin')
        state[base + 'weight'] = torch.randn((fout, fin, 1, 1) if conv else (fout, fin), generator=g) * 0.2
        state[base + 'bias'] = torch.randn(fout, generator=g) * 0.2
    return state, models


def _stage_depths(model) -> tuple[int, ...]:
    if hasattr(model, 'layer1'):
        return tuple(len(getattr(model, f'layer{i}')) for i in range(1, 5))
    if hasattr(model, 'layers'):
        return tuple(len(s.blocks) for s in model.layers)
    return tuple(len(s.blocks) for s in model.stages)


def _width(model, stage) -> int:
    if stage is None:
        return model.embed_dim
    stages = [i for i in model.feature_info if i['module'].startswith(('layer', 'stages'))]  # ResNet lists its stem first
    return stages[stage]['num_chs']


# ------------------------------------------------------------------ the official forward
def reference_models(case: str, state: dict[str, torch.Tensor]) -> list[torch.nn.Module]:
    """The anchors loaded from the official layout through timm's own converters."""
    specs, _ = CASES[case]
    models = []
    for a, spec in enumerate(specs):
        sd = {k[len(f'anchors.{a}.'):]: v for k, v in state.items() if k.startswith(f'anchors.{a}.')}
        model = build(spec)
        if spec['name'].startswith('swin'):
            sd = swin_checkpoint_filter(sd, model)
        elif spec['name'].startswith('levit'):  # how timm first converted the official LeViT weights: by order
            sd = dict(zip(model.state_dict(), [v for k, v in sd.items() if not k.endswith('attention_bias_idxs')]))
        model.load_state_dict(sd)
        models.append(model.eval())
    return models


def _until(model, x, stage, f):
    """Front anchor: embedding, every stage before ``stage``, then blocks 0..f of ``stage``."""
    if hasattr(model, 'layer1'):
        x = model.maxpool(model.act1(model.bn1(model.conv1(x))))
        for i in range(stage):
            x = getattr(model, f'layer{i + 1}')(x)
        return getattr(model, f'layer{stage + 1}')[:f + 1](x)
    if hasattr(model, 'layers'):
        x = model.patch_embed(x)
        for i in range(stage):
            x = model.layers[i](x)
        return model.layers[stage].blocks[:f + 1](model.layers[stage].downsample(x))
    x = model.stem(x).flatten(2).transpose(1, 2)
    for i in range(stage):
        x = model.stages[i](x)
    return model.stages[stage].blocks[:f + 1](model.stages[stage].downsample(x))


def _from(model, x, stage, e):
    """End anchor: blocks e.. of ``stage``, the later stages and the head."""
    if hasattr(model, 'layer1'):
        x = getattr(model, f'layer{stage + 1}')[e:](x)
        for i in range(stage + 1, 4):
            x = getattr(model, f'layer{i + 1}')(x)
        return model.forward_head(x)
    if hasattr(model, 'layers'):
        x = model.layers[stage].blocks[e:](x)
        for i in range(stage + 1, len(model.layers)):
            x = model.layers[i](x)
        return model.forward_head(model.norm(x))
    x = model.stages[stage].blocks[e:](x)
    for i in range(stage + 1, len(model.stages)):
        x = model.stages[i](x)
    return model.forward_head(x)


def official_forward(case: str, state: dict[str, torch.Tensor], models: list[torch.nn.Module], config: dict,
                     x: torch.Tensor) -> torch.Tensor:
    """Logits of one official configuration."""
    comb = config['comb']
    if len(comb) == 1:
        return models[comb[0]](x)
    front, end = (models[i] for i in comb)
    base = 'stitch_layers.' + '.'.join(map(str, config['layer'])) + '.transform.'
    w, b = state[base + 'weight'], state[base + 'bias']
    f, e = config['cfg']
    if 'stage' not in config:  # plain ViT
        y = front.norm_pre(front.patch_drop(front._pos_embed(front.patch_embed(x))))
        y = F.linear(front.blocks[:f + 1](y), w, b)
        # The one known deviation: stitching_deit ends a stitch with forward_head alone (no final
        # norm; its published FLOPs show it); ours ends it like the anchor, norm included.
        return end.forward_head(end.norm(end.blocks[e:](y)))
    y = _until(front, x, config['stage'], f)
    if w.dim() == 4:  # 1x1 conv on NCHW maps; into Swin: row-major tokens, here NHWC
        y = F.conv2d(y, w, b)
        if hasattr(end, 'layers'):
            y = y.permute(0, 2, 3, 1)
    else:
        y = F.linear(y, w, b)
    return _from(end, y, config['stage'], e)
