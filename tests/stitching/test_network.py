"""StitchedViT on tiny timm anchors: forward, gradients, dense outputs, export, LS init, checks."""
from __future__ import annotations

import math

import pytest
import timm
import torch
import torch.nn.functional as F
from conftest import tiny_anchor

from snnet_mm.stitching import StitchedViT, StitchingLinear
from snnet_mm.stitching.stitch import enumerate_stitches
from snnet_mm.stitching.cost import stitch_costs
from snnet_mm.stitching.export import ExportedStitch

# Two tiny families: 2/4 blocks (SL, LS) and 3/6 blocks (also SLS and LSL).
PAIRS = {
    '2-4': ((2, 32), (4, 64)),
    '3-6': ((3, 32), (6, 64)),
}
DENSE_OUT = {'2-4': (1, 2, 3), '3-6': (1, 3, 5)}


def anchors_of(pair: str, **kwargs) -> list[dict]:
    return [tiny_anchor(d, w, **kwargs) for d, w in PAIRS[pair]]


def stitch_cases(pairs=tuple(PAIRS)):
    """pytest params (pair, index) for every stitch of every pair, named by route."""
    cases = []
    for pair in pairs:
        depths = tuple(d for d, _ in PAIRS[pair])
        for i, s in enumerate(enumerate_stitches(depths).stitches):
            cases.append(pytest.param(pair, i, id=f'{pair}:{s.route.replace(" ", "")}'))
    return cases


_NETS: dict = {}




def shared_net(pair: str, grads: bool = False, **kwargs) -> StitchedViT:
    """Built once per configuration; tests must not change weights (set_stitch is fine).

    ``grads=True`` gives a separate instance for tests that accumulate gradients.
    """
    key = (pair, grads, tuple(sorted(kwargs.items())))
    if key not in _NETS:
        torch.manual_seed(1)
        net = StitchedViT(anchors_of(pair), **kwargs)
        with torch.no_grad():  # non-trivial stitching layers and low-rank updates
            for layer in net.stitch_layers.values():
                layer.bias.normal_(0, 0.1)
                if layer.rank:
                    layer.lora_b.normal_(0, 0.5)
        _NETS[key] = net.eval()
    return _NETS[key]


def images(n: int = 2, h: int = 32, w: int = 32) -> torch.Tensor:
    return torch.randn(n, 3, h, w)


def timm_tokens(model, x: torch.Tensor) -> list[torch.Tensor]:
    """Token sequences at every boundary of a timm ViT (0 = embedding output), eval mode."""
    t = model.norm_pre(model._pos_embed(model.patch_embed(x)))
    out = [t]
    for blk in model.blocks:
        t = blk(t)
        out.append(t)
    return out


def expected_param_names(net: StitchedViT, stitch, *, logits: bool = True) -> set[str]:
    """Parameters a stitch uses, derived from its segments and layers only."""
    prefixes = [f'anchors.{stitch.segments[0].anchor}.model.{p}'
                for p in ('patch_embed.', 'cls_token', 'pos_embed')]
    for seg in stitch.segments:
        prefixes += [f'anchors.{seg.anchor}.model.blocks.{b}.' for b in range(seg.start, seg.end)]
    prefixes += [f'stitch_layers.{key}.' for key in stitch.layers]
    if logits:
        prefixes += [f'anchors.{stitch.segments[-1].anchor}.model.{p}' for p in ('norm.', 'head.')]
    names = {n for n, p in net.named_parameters() if p.requires_grad}
    found = set()
    for prefix in prefixes:
        hits = {n for n in names if n == prefix or n.startswith(prefix)}
        assert hits, f'no parameter named {prefix}*'
        found |= hits
    return found


# --------------------------------------------------------------------------- anchors


@pytest.mark.parametrize('pair', list(PAIRS))
@pytest.mark.parametrize('which', [0, 1])
def test_anchor_stitch_equals_plain_timm_model(pair, which):
    net = StitchedViT(anchors_of(pair)).eval()
    depth, width = PAIRS[pair][which]
    ref = timm.create_model('vit_tiny_patch16_224', embed_dim=width, depth=depth, num_heads=2,
                            img_size=32, num_classes=10).eval()
    net.anchors[which].model.load_state_dict(ref.state_dict())
    net.set_stitch(net.anchor_stitch(which))
    x = images()
    with torch.no_grad():
        torch.testing.assert_close(net(x), ref(x), atol=1e-5, rtol=0)


def test_anchors_are_sorted_by_cost():
    net = StitchedViT([tiny_anchor(4, 64), tiny_anchor(2, 32)])
    assert [a.width for a in net.anchors] == [32, 64]
    assert [spec.model_kwargs['embed_dim'] for spec in net.anchor_specs] == [32, 64]
    assert net.stitches[net.anchor_stitch(-1)].route == 'L[0:4]'


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize('pair,index', stitch_cases())
def test_gradients_reach_exactly_the_parameters_of_the_stitch(pair, index):
    torch.manual_seed(index)
    net = shared_net(pair, grads=True)
    net.zero_grad(set_to_none=True)
    net.set_stitch(index)
    stitch = net.stitches[index]
    logits = net(images(3))
    assert logits.shape == (3, 10)
    F.cross_entropy(logits, torch.tensor([0, 3, 7])).backward()

    expected = expected_param_names(net, stitch)
    with_grad = {n for n, p in net.named_parameters()
                 if p.requires_grad and p.grad is not None and bool(p.grad.ne(0).any())}
    assert with_grad == expected, (f'missing: {sorted(expected - with_grad)[:5]}, '
                                   f'unexpected: {sorted(with_grad - expected)[:5]}')
    for name, p in net.named_parameters():
        assert p.grad is None or bool(torch.isfinite(p.grad).all()), name
    net.zero_grad(set_to_none=True)


# --------------------------------------------------------------------------- dense outputs


@pytest.mark.parametrize('pair,index', stitch_cases())
@pytest.mark.parametrize('hw', [(32, 32), (32, 48), (48, 32), (40, 40)])
def test_dense_outputs_have_large_width_and_patch_grid(pair, index, hw):
    out_indices = DENSE_OUT[pair]
    net = shared_net(pair, out_indices=out_indices, dynamic_img_size=True)
    net.set_stitch(index)
    with torch.no_grad():
        feats = net(images(2, *hw))
    grid = (math.ceil(hw[0] / 16), math.ceil(hw[1] / 16))
    assert isinstance(feats, list) and len(feats) == len(out_indices)
    for f in feats:
        assert f.shape == (2, 64, *grid)
        assert bool(torch.isfinite(f).all())


@pytest.mark.parametrize('pair,index', stitch_cases())
def test_dense_outputs_with_cls_token_are_map_and_class_token_pairs(pair, index):
    out_indices = DENSE_OUT[pair]
    plain = shared_net(pair, out_indices=out_indices, dynamic_img_size=True)
    net = StitchedViT(anchors_of(pair), out_indices=out_indices, dynamic_img_size=True,
                      with_cls_token=True).eval()
    net.load_state_dict(plain.state_dict())
    net.set_stitch(index)
    plain.set_stitch(index)
    x = images(2, 40, 32)
    with torch.no_grad():
        pairs, maps = net(x), plain(x)
    assert len(pairs) == len(out_indices)
    for (fmap, cls), ref in zip(pairs, maps):
        assert cls.shape == (2, 64)
        torch.testing.assert_close(fmap, ref, atol=0, rtol=0)


@pytest.mark.parametrize('hw', [(32, 32), (40, 40), (32, 48)])
def test_dense_large_anchor_equals_timm_forward_intermediates(hw):
    net = shared_net('2-4', out_indices=(1, 2, 3), dynamic_img_size=True)
    net.set_stitch(net.anchor_stitch(-1))
    x = images(2, *hw)
    with torch.no_grad():
        feats = net(x)
        ref = net.anchors[1].model.forward_intermediates(x, indices=[1, 2, 3], output_fmt='NCHW',
                                                         intermediates_only=True)
    for f, r in zip(feats, ref):
        torch.testing.assert_close(f, r, atol=1e-5, rtol=0)


@pytest.mark.parametrize('pair', list(PAIRS))
def test_dense_small_anchor_projects_mapped_block_with_its_sl_layer(pair):
    out_indices = DENSE_OUT[pair]
    net = shared_net(pair, out_indices=out_indices, dynamic_img_size=True)
    (ds, _), (dl, _) = PAIRS[pair]
    net.set_stitch(net.anchor_stitch(0))
    x = images(2)
    with torch.no_grad():
        feats = net(x)
        tokens = timm_tokens(net.anchors[0].model, x)
        for j, f in zip(out_indices, feats):
            block = j * ds // dl  # nearest-interpolated small block (9,14,19,23 -> 4,7,9,11 for 12/24)
            boundary = block + 1
            large = math.floor(boundary * dl / ds + 0.5)
            keys = [s.key for s in net.space.layers if s.src == 0 and s.fits == ((boundary, large),)]
            assert len(keys) == 1, f'no SL layer at small boundary {boundary}'
            y = net.stitch_layers[keys[0]](tokens[boundary])[:, 1:]
            ref = y.reshape(2, 2, 2, 64).permute(0, 3, 1, 2)
            torch.testing.assert_close(f, ref, atol=1e-5, rtol=0)


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize('pair,index', stitch_cases())
@pytest.mark.parametrize('dense', [False, True], ids=['logits', 'dense'])
@pytest.mark.parametrize('lora_rank', [None, 4])
def test_export_equals_network_and_keeps_only_used_weights(pair, index, dense, lora_rank):
    kwargs = dict(lora_rank=lora_rank)
    if dense:
        kwargs.update(out_indices=DENSE_OUT[pair], dynamic_img_size=True)
    net = shared_net(pair, **kwargs)
    net.set_stitch(index)
    exported = ExportedStitch.from_network(net, index)
    assert not exported.training
    x = images(2, 32, 48) if dense else images(2)
    with torch.no_grad():
        out, ref = exported(x), net(x)
    if dense:
        assert len(out) == len(ref)
        for o, r in zip(out, ref):
            torch.testing.assert_close(o, r, atol=1e-5, rtol=0)
    else:
        torch.testing.assert_close(out, ref, atol=1e-5, rtol=0)

    n_params = sum(p.numel() for p in exported.parameters())
    assert n_params == stitch_costs(net, 32)[index].params
    assert not any(isinstance(m, StitchingLinear) for m in exported.modules()), 'low-rank not merged'
    if not dense:
        # Independently: embedding + used blocks + head of the route, merged linears (W, b).
        stitch = net.stitches[index]
        params = dict(net.named_parameters())
        expected = sum(params[n].numel() for n in expected_param_names(net, stitch)
                       if not n.startswith('stitch_layers.'))
        expected += sum((net.stitch_layers[k].in_features + 1) * net.stitch_layers[k].out_features
                        for k in stitch.layers)
        assert n_params == expected


def test_export_does_not_share_weights_with_the_network():
    net = StitchedViT(anchors_of('2-4')).eval()
    exported = ExportedStitch.from_network(net, 2)
    x = images()
    with torch.no_grad():
        before = exported(x)
        for p in net.parameters():
            p.add_(1.0)
        torch.testing.assert_close(exported(x), before, atol=0, rtol=0)


# --------------------------------------------------------------------------- least squares


def _relative_error(pred: torch.Tensor, target: torch.Tensor) -> float:
    return float((pred - target).pow(2).sum() / target.pow(2).sum())


@pytest.mark.parametrize('pair', list(PAIRS))
@pytest.mark.parametrize('lora_rank', [None, 4])
def test_least_squares_init_fits_destination_tokens(pair, lora_rank):
    net = StitchedViT(anchors_of(pair), lora_rank=lora_rank).train()
    imgs = images(8)
    assert not net.stitching_initialised
    with torch.no_grad():
        bounds = [timm_tokens(a.model.eval(), imgs) for a in net.anchors]
        net.train()

        def errors():
            errs = {}
            for spec in net.space.layers:
                (sb, db), = spec.fits
                x, y = bounds[spec.src][sb], bounds[spec.dst][db]
                errs[spec.key] = (_relative_error(net.stitch_layers[spec.key](x), y), x, y)
            return errs

        before = errors()
        net.init_stitching_layers(imgs, batch_size=3)
        after = errors()

    assert net.training, 'init_stitching_layers must restore train mode'
    assert net.stitching_initialised
    for key, layer in net.stitch_layers.items():
        assert bool(layer.initialised), key
        assert layer.initialised.dtype == torch.bool
        if lora_rank:
            assert not layer.lora_b.any(), 'the low-rank update must start at zero'
        err, x, y = after[key]
        assert err < before[key][0], key
        # Optimal: no worse than an independent least-squares solve of [X, 1] W = Y.
        x1 = torch.cat([x.reshape(-1, x.shape[-1]), torch.ones(x.shape[0] * x.shape[1], 1)], 1).double()
        sol = torch.linalg.lstsq(x1, y.reshape(-1, y.shape[-1]).double(), driver='gelsd').solution
        best = _relative_error((x1 @ sol).float(), y.reshape(-1, y.shape[-1]))
        assert err <= best + 1e-4, (key, err, best)


def test_initialised_flag_survives_state_dict_round_trip():
    net = StitchedViT(anchors_of('2-4'))
    net.init_stitching_layers(images(4))
    fresh = StitchedViT(anchors_of('2-4'))
    assert not fresh.stitching_initialised
    fresh.load_state_dict(net.state_dict())
    assert fresh.stitching_initialised


# --------------------------------------------------------------------------- low rank


def test_low_rank_freezes_ls_weight_and_trains_update_and_bias():
    net = StitchedViT(anchors_of('3-6'), lora_rank=4)
    assert len(net.stitch_layers) > 0
    for key, layer in net.stitch_layers.items():
        assert layer.weight.requires_grad is False, key
        assert layer.bias.requires_grad and layer.lora_a.requires_grad and layer.lora_b.requires_grad
        assert layer.lora_a.shape == (4, layer.in_features)
        assert layer.lora_b.shape == (layer.out_features, 4)
    stitch = next(i for i, s in enumerate(net.stitches) if s.kind == 'SL')
    net.set_stitch(stitch)
    with torch.no_grad():
        for layer in net.stitch_layers.values():
            layer.lora_b.normal_()
    net(images()).sum().backward()
    layer = net.stitch_layers[net.stitches[stitch].layers[0]]
    assert layer.weight.grad is None
    assert layer.lora_a.grad is not None and layer.lora_b.grad is not None and layer.bias.grad is not None


def test_full_rank_trains_the_weight():
    net = StitchedViT(anchors_of('2-4'))
    assert all(layer.weight.requires_grad for layer in net.stitch_layers.values())
    assert not any(hasattr(layer, 'lora_a') for layer in net.stitch_layers.values())


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize('bad', [4, -1, 100, 1.0, '1', True, None])
def test_set_stitch_rejects_bad_index(bad):
    net = shared_net('2-4')
    with pytest.raises(ValueError, match='stitch'):
        net.set_stitch(bad)


def test_set_stitch_selects_forward_route():
    net = shared_net('2-4')
    x = images()
    outs = []
    with torch.no_grad():
        for i in range(net.num_stitches):
            net.set_stitch(i)
            assert net.current_stitch == i
            outs.append(net(x))
    for i in range(len(outs)):
        for j in range(i + 1, len(outs)):
            assert not torch.allclose(outs[i], outs[j]), (i, j)


def test_unknown_timm_name_names_the_anchor_field():
    with pytest.raises(ValueError, match=r"anchors\[1\]\.name.*no_such_vit_xyz"):
        StitchedViT([tiny_anchor(2, 32), dict(name='no_such_vit_xyz')])


def test_mismatched_patch_size_is_rejected():
    with pytest.raises(ValueError, match='patch size'):
        StitchedViT([tiny_anchor(2, 32), tiny_anchor(4, 64, name='vit_small_patch32_224')])


@pytest.mark.parametrize('bad', [(1, 4), (-5,), (1, 2.0)])
def test_out_indices_out_of_range(bad):
    with pytest.raises(ValueError, match='out_indices') as info:
        StitchedViT(anchors_of('2-4'), out_indices=bad)
    assert repr(bad[-1]) in str(info.value)


@pytest.mark.parametrize('bad', [0, -1, -4, 2.0, True])
def test_invalid_lora_rank(bad):
    with pytest.raises(ValueError, match='lora_rank') as info:
        StitchedViT(anchors_of('2-4'), lora_rank=bad)
    assert repr(bad) in str(info.value)


def test_too_few_anchors():
    with pytest.raises(ValueError, match='anchors'):
        StitchedViT([tiny_anchor(2, 32)])


# --------------------------------------------------------------------------- checkpoints


def _saved_tiny(tmp_path, fmt: str):
    torch.manual_seed(123)
    model = timm.create_model('vit_tiny_patch16_224', embed_dim=32, depth=2, num_heads=2, img_size=32,
                              num_classes=10)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    if fmt == 'pth':
        path = tmp_path / 'tiny.pth'
        torch.save(state, path)
    else:
        from safetensors.torch import save_file
        path = tmp_path / 'tiny.safetensors'
        save_file(state, str(path))
    return str(path), state


@pytest.mark.parametrize('fmt', ['pth', 'safetensors'])
def test_checkpoint_weights_are_loaded(tmp_path, fmt):
    path, state = _saved_tiny(tmp_path, fmt)
    net = StitchedViT([dict(tiny_anchor(2, 32), checkpoint=path), tiny_anchor(4, 64)])
    loaded = net.anchors[0].model.state_dict()
    assert set(loaded) == set(state)
    for key, value in state.items():
        torch.testing.assert_close(loaded[key], value, atol=0, rtol=0, msg=key)


@pytest.mark.parametrize('fmt', ['pth', 'safetensors'])
def test_checkpoint_position_embedding_resampled_for_new_img_size(tmp_path, fmt):
    path, state = _saved_tiny(tmp_path, fmt)
    net = StitchedViT([dict(tiny_anchor(2, 32), checkpoint=path, img_size=48),
                       dict(tiny_anchor(4, 64), img_size=48)]).eval()
    model = net.anchors[0].model
    assert state['pos_embed'].shape == (1, 1 + 4, 32)
    assert model.pos_embed.shape == (1, 1 + 9, 32)
    torch.testing.assert_close(model.pos_embed[:, :1], state['pos_embed'][:, :1], atol=0, rtol=0)
    torch.testing.assert_close(model.blocks[1].mlp.fc2.weight, state['blocks.1.mlp.fc2.weight'], atol=0, rtol=0)
    with torch.no_grad():
        for i in range(net.num_stitches):
            net.set_stitch(i)
            assert net(images(2, 48, 48)).shape == (2, 10)


def test_missing_checkpoint_names_the_field(tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(ValueError, match=r'anchors\[1\]\.checkpoint') as info:
        StitchedViT([tiny_anchor(2, 32), dict(tiny_anchor(4, 64), checkpoint=missing)])
    assert 'nope.pth' in str(info.value)


# --------------------------------------------------------------------------- SN-Net v1


V1_ANCHORS = ((2, 32), (2, 48), (2, 64))
V1_COUNT = 3 + 2 * 4  # anchors + 4 window positions per neighbouring pair


def v1_net() -> StitchedViT:
    if 'v1' not in _NETS:
        torch.manual_seed(2)
        _NETS['v1'] = StitchedViT([tiny_anchor(d, w) for d, w in V1_ANCHORS], mode='v1').eval()
    return _NETS['v1']


@pytest.mark.parametrize('index', range(V1_COUNT))
def test_v1_three_anchor_stitches_run_export_and_train(index):
    net = v1_net()
    assert net.num_stitches == V1_COUNT
    net.set_stitch(index)
    x = images()
    with torch.no_grad():
        torch.testing.assert_close(ExportedStitch.from_network(net, index)(x), net(x), atol=1e-5, rtol=0)
    net.zero_grad(set_to_none=True)
    net(x).square().sum().backward()
    with_grad = {n for n, p in net.named_parameters() if p.grad is not None and bool(p.grad.ne(0).any())}
    assert with_grad == expected_param_names(net, net.stitches[index])
    net.zero_grad(set_to_none=True)


def test_v1_shared_layer_is_the_mean_of_its_positions_least_squares():
    net = StitchedViT([tiny_anchor(d, w) for d, w in V1_ANCHORS], mode='v1')
    imgs = images(16)  # 80 tokens > 65 unknowns: every position has a unique solution
    net.init_stitching_layers(imgs)
    assert net.stitching_initialised
    with torch.no_grad():
        bounds = [timm_tokens(a.model.eval(), imgs) for a in net.anchors]
    shared = [spec for spec in net.space.layers if len(spec.fits) > 1]
    assert shared, 'v1 windows share one layer between neighbouring positions'
    for spec in shared:
        solutions = []
        for sb, db in spec.fits:
            x = bounds[spec.src][sb].reshape(-1, net.anchors[spec.src].width).double()
            y = bounds[spec.dst][db].reshape(-1, net.anchors[spec.dst].width).double()
            x1 = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1)
            solutions.append(torch.linalg.lstsq(x1, y, driver='gelsd').solution)
        mean = torch.stack(solutions).mean(0)
        layer = net.stitch_layers[spec.key]
        torch.testing.assert_close(layer.weight.detach().double(), mean[:-1].T, atol=2e-3, rtol=2e-3)
        torch.testing.assert_close(layer.bias.detach().double(), mean[-1], atol=2e-3, rtol=2e-3)
