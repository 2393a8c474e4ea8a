"""StitchingLinear (full-rank and low-rank) and the least-squares normal equations."""
from __future__ import annotations

import pytest
import torch

from snnet_mm.stitching.layers import NormalEquations, StitchingLinear




@pytest.mark.parametrize('rank', [None, 1, 4])
def test_forward_equals_merged_linear(rank):
    layer = StitchingLinear(in_features=32, out_features=48, rank=rank, alpha=3.0)
    with torch.no_grad():
        layer.bias.normal_()
        if rank:
            layer.lora_b.normal_()
    x = torch.randn(2, 5, 32)
    merged = layer.merged_linear()
    assert isinstance(merged, torch.nn.Linear)
    assert (merged.in_features, merged.out_features) == (32, 48)
    with torch.no_grad():
        torch.testing.assert_close(merged(x), layer(x), atol=1e-5, rtol=1e-5)
    # The merged copy is independent of later training of the layer.
    with torch.no_grad():
        before = merged(x)
        layer.bias.add_(1.0)
        torch.testing.assert_close(merged(x), before, atol=0, rtol=0)


@pytest.mark.parametrize('rank,alpha', [(4, 2.0), (2, 8.0), (8, 1.0)])
def test_low_rank_update_is_scaled_by_alpha_over_rank(rank, alpha):
    layer = StitchingLinear(in_features=6, out_features=3, rank=rank, alpha=alpha)
    a, b = torch.randn(rank, 6), torch.randn(3, rank)
    w0, bias = torch.randn(3, 6), torch.randn(3)
    with torch.no_grad():
        layer.weight.copy_(w0)
        layer.bias.copy_(bias)
        layer.lora_a.copy_(a)
        layer.lora_b.copy_(b)
        x = torch.randn(4, 6)
        expected = x @ (w0 + (alpha / rank) * b @ a).T + bias
        torch.testing.assert_close(layer(x), expected, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(layer.merged_linear().weight, w0 + (alpha / rank) * b @ a, atol=1e-6, rtol=0)


def test_low_rank_starts_as_the_frozen_weight():
    layer = StitchingLinear(in_features=8, out_features=4, rank=2)
    x = torch.randn(3, 8)
    with torch.no_grad():
        torch.testing.assert_close(layer(x), x @ layer.weight.T + layer.bias, atol=1e-6, rtol=0)
    assert not layer.weight.requires_grad
    assert layer.lora_a.requires_grad and layer.lora_b.requires_grad and layer.bias.requires_grad
    assert layer.lora_a.abs().sum() > 0, 'A must be random so that B receives gradients'


def test_set_solution_loads_weight_resets_update_and_marks_initialised():
    layer = StitchingLinear(in_features=4, out_features=3, rank=2)
    with torch.no_grad():
        layer.lora_b.normal_()
    assert not bool(layer.initialised)
    w, b = torch.randn(3, 4), torch.randn(3)
    layer.set_solution(w, b)
    assert bool(layer.initialised)
    assert torch.equal(layer.weight.detach(), w) and torch.equal(layer.bias.detach(), b)
    assert not layer.lora_b.any()
    assert 'initialised' in layer.state_dict()


@pytest.mark.parametrize('kwargs,field', [
    (dict(in_features=0, out_features=4), 'in_features'),
    (dict(in_features=-3, out_features=4), 'in_features'),
    (dict(in_features=4.0, out_features=4), 'in_features'),
    (dict(in_features=4, out_features=0), 'out_features'),
    (dict(in_features=4, out_features='8'), 'out_features'),
    (dict(in_features=4, out_features=4, rank=-1), 'rank'),
    (dict(in_features=4, out_features=4, rank=0), 'rank'),
    (dict(in_features=4, out_features=4, rank=1.5), 'rank'),
])
def test_invalid_arguments_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        StitchingLinear(**kwargs)


def _fill(eq: NormalEquations, x: torch.Tensor, y: torch.Tensor, chunk: int = 37) -> None:
    for xs, ys in zip(x.split(chunk), y.split(chunk)):
        eq.add(xs, ys)


def test_normal_equations_recover_exact_linear_map():
    x = torch.randn(4, 50, 16, dtype=torch.float64)  # (images, tokens, width) like ViT tokens
    w, b = torch.randn(24, 16, dtype=torch.float64), torch.randn(24, dtype=torch.float64)
    y = x @ w.T + b
    eq = NormalEquations(16, 24, torch.device('cpu'))
    for xi, yi in zip(x, y):
        eq.add(xi[None], yi[None])
    assert eq.count == 200
    w_hat, b_hat = eq.solve()
    assert w_hat.shape == (24, 16) and b_hat.shape == (24,)
    torch.testing.assert_close(w_hat, w, atol=1e-6, rtol=0)
    torch.testing.assert_close(b_hat, b, atol=1e-6, rtol=0)


def test_normal_equations_from_float32_tokens():
    x = torch.randn(300, 12)
    w, b = torch.randn(8, 12), torch.randn(8)
    y = x @ w.T + b
    eq = NormalEquations(12, 8, torch.device('cpu'))
    _fill(eq, x, y)
    w_hat, b_hat = eq.solve()
    torch.testing.assert_close(w_hat.float(), w, atol=1e-4, rtol=0)
    torch.testing.assert_close(b_hat.float(), b, atol=1e-4, rtol=0)


@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_normal_equations_rank_deficient_inputs(dtype):
    base = torch.randn(200, 6, dtype=torch.float64)
    # Duplicate columns and a constant column (collinear with the bias): rank 6 + bias of 9 + bias.
    x = torch.cat([base, base[:, :2], torch.full((200, 1), 3.0, dtype=torch.float64)], dim=1)
    w_true = torch.randn(5, 6, dtype=torch.float64)
    b_true = torch.randn(5, dtype=torch.float64)
    y = base @ w_true.T + b_true
    eq = NormalEquations(9, 5, torch.device('cpu'))
    _fill(eq, x.to(dtype), y.to(dtype))
    w_hat, b_hat = eq.solve()
    assert bool(torch.isfinite(w_hat).all()) and bool(torch.isfinite(b_hat).all())
    pred = x.to(dtype).double() @ w_hat.T + b_hat
    tol = 1e-6 if dtype == torch.float64 else 1e-4
    torch.testing.assert_close(pred, y.to(dtype).double(), atol=tol, rtol=0)
    # Minimum-norm solution: duplicated columns share the weight equally.
    torch.testing.assert_close(w_hat[:, 0], w_hat[:, 6], atol=tol, rtol=0)
    assert float(w_hat.abs().max()) < 10 * float(w_true.abs().max())


def test_normal_equations_without_tokens_raise():
    with pytest.raises(ValueError, match='images'):
        NormalEquations(4, 4, torch.device('cpu')).solve()


def _ill_conditioned(tokens: int = 2000, width: int = 8):
    """Tokens with one direction 1e-4 as strong as the others, that the target weighs heavily."""
    torch.manual_seed(0)
    x = torch.randn(tokens, width, dtype=torch.float64)
    x[:, -1] = x[:, 0] + 1e-4 * torch.randn(tokens, dtype=torch.float64)  # nearly collinear
    w = torch.randn(3, width, dtype=torch.float64)
    y = x @ w.T + 0.5
    return x, y


def test_fp32_cutoff_is_the_official_float32_pinv_solution():
    """rcond='fp32' discards what torch.linalg.pinv of [X, 1] in float32 discards (SN-Net's
    ps_inv); the default float64 cut-off keeps the weak direction and fits it."""
    x, y = _ill_conditioned()
    x1 = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], dim=1)
    official = (torch.linalg.pinv(x1.float()) @ y.float()).double()  # (in + 1, out)
    solutions = {}
    for rcond in (None, 'fp32'):
        eq = NormalEquations(8, 3, torch.device('cpu'))
        _fill(eq, x, y)
        w_hat, b_hat = eq.solve(rcond=rcond)
        solutions[rcond] = torch.cat([w_hat.T, b_hat[None]])
    torch.testing.assert_close(solutions['fp32'], official, atol=2e-3, rtol=0)
    assert (solutions[None] - official).abs().max() > 0.1
    residual = {k: float((x1 @ v - y).pow(2).mean()) for k, v in solutions.items()}
    assert residual[None] < 1e-12 < residual['fp32']


def test_explicit_cutoff_ratio_and_bad_values():
    x, y = _ill_conditioned(tokens=300)
    eq = NormalEquations(8, 3, torch.device('cpu'))
    _fill(eq, x, y)
    w_hat, _ = eq.solve(rcond=1e-2)  # well above the weak direction's 1e-4: discarded
    torch.testing.assert_close(w_hat[:, 0], w_hat[:, -1], atol=1e-3, rtol=0)  # minimum norm: shared
    for bad in (-0.1, 1.0, 'fp16', True):
        with pytest.raises(ValueError, match='rcond'):
            eq.solve(rcond=bad)

