"""Op-level FLOP rules: the meta-device counter equals fvcore's count, op by op."""
from __future__ import annotations

import logging

import pytest
import torch
import torch.nn.functional as F
from fvcore.nn import FlopCountAnalysis
from timm.layers import Attention
from torch import nn

from snnet_mm.stitching.flops import FREE_OPS, UNCOUNTED_OPS, FlopCounter, count_flops, meta_copy


class Fn(nn.Module):
    """A module running ``fn`` (with its own parameters, if any)."""

    def __init__(self, fn, *modules: nn.Module) -> None:
        super().__init__()
        self.fn, self.mods = fn, nn.ModuleList(modules)

    def forward(self, x):
        return self.fn(x, *self.mods)


def fvcore_count(module: nn.Module, x: torch.Tensor) -> int:
    analysis = FlopCountAnalysis(module, x)
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings('none')
    return int(analysis.total())


def meta_count(module: nn.Module, x: torch.Tensor) -> int:
    return count_flops(meta_copy(module), x.to('meta'))[0]


CASES = {
    'conv': (nn.Conv2d(4, 8, 3, padding=1), (2, 4, 9, 11)),
    'conv-stride': (nn.Conv2d(4, 8, 3, stride=2), (1, 4, 9, 11)),
    'conv-grouped': (nn.Conv2d(8, 16, 3, groups=4, padding=1), (1, 8, 8, 8)),
    'conv-dilated': (nn.Conv2d(4, 4, 3, dilation=2, padding=2), (1, 4, 8, 8)),
    'conv1d': (nn.Conv1d(4, 6, 3), (1, 4, 10)),
    'deconv': (nn.ConvTranspose2d(8, 4, 2, stride=2), (2, 8, 5, 7)),
    'deconv-grouped': (nn.ConvTranspose2d(8, 4, 4, stride=4, groups=2), (1, 8, 3, 3)),
    'batchnorm': (nn.BatchNorm2d(4), (2, 4, 5, 5)),
    'batchnorm-no-affine': (nn.BatchNorm2d(4, affine=False), (2, 4, 5, 5)),
    'syncbatchnorm-eval': (nn.SyncBatchNorm(4), (2, 4, 5, 5)),
    'groupnorm': (nn.GroupNorm(2, 4), (2, 4, 5, 5)),
    'groupnorm-no-affine': (nn.GroupNorm(2, 4, affine=False), (2, 4, 5, 5)),
    'instancenorm': (nn.InstanceNorm2d(4), (2, 4, 5, 5)),
    'instancenorm-affine': (nn.InstanceNorm2d(4, affine=True), (2, 4, 5, 5)),
    'layernorm': (nn.LayerNorm(6), (2, 5, 6)),
    'layernorm2d-permuted': (Fn(lambda x, n: n(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2), nn.LayerNorm(4)),
                             (1, 4, 5, 5)),
    'nearest': (Fn(lambda x: F.interpolate(x, scale_factor=2, mode='nearest')), (1, 3, 4, 5)),
    'bilinear': (Fn(lambda x: F.interpolate(x, size=(7, 9), mode='bilinear', align_corners=False)), (1, 3, 4, 5)),
    'bilinear-aligned': (Fn(lambda x: F.interpolate(x, scale_factor=3, mode='bilinear', align_corners=True)),
                         (1, 3, 4, 5)),
    'bicubic': (Fn(lambda x: F.interpolate(x, size=(8, 8), mode='bicubic', align_corners=False)), (1, 3, 4, 5)),
    'bicubic-antialias': (Fn(lambda x: F.interpolate(x, size=(2, 2), mode='bicubic', antialias=True)), (1, 3, 4, 5)),
    'area': (Fn(lambda x: F.interpolate(x, size=(1, 1), mode='area')), (1, 3, 4, 6)),
    'adaptive-avg-pool-1': (nn.AdaptiveAvgPool2d(1), (2, 3, 6, 6)),
    'adaptive-avg-pool-3': (nn.AdaptiveAvgPool2d(3), (2, 3, 6, 6)),
    'grid-sample': (Fn(lambda x: F.grid_sample(x, torch.zeros(1, 5, 7, 2, device=x.device), align_corners=False)),
                    (1, 3, 4, 4)),
    'einsum-bmm': (Fn(lambda x: torch.einsum('bij,bjk->bik', x, x.transpose(1, 2))), (2, 5, 3)),
    'einsum-attention': (Fn(lambda x: torch.einsum('bhqd,bhkd->bhqk', x, x)), (2, 3, 5, 4)),
    'einsum-abc-abd': (Fn(lambda x: torch.einsum('nct,ncp->ntp', x, x)), (2, 3, 5)),
    'matmul-4d': (Fn(lambda x: x @ x.transpose(-2, -1)), (2, 3, 5, 4)),
    'matmul-broadcast': (Fn(lambda x: torch.matmul(x[0, 0], x.transpose(-2, -1))), (2, 3, 4, 4)),
    'linear-3d': (nn.Linear(4, 6), (2, 5, 4)),
    'linear-no-bias': (nn.Linear(4, 6, bias=False), (5, 4)),
    'attention-unfused': (Attention(16, num_heads=2), (2, 7, 16)),
    'pool-and-activations': (Fn(lambda x: F.max_pool2d(F.gelu(x), 2).softmax(-1) + x.mean()), (1, 3, 4, 4)),
}


@pytest.mark.parametrize('name', CASES)
def test_op_rule_equals_fvcore(name):
    module, shape = CASES[name]
    module.eval()
    if isinstance(module, Attention):
        module.fused_attn = False
    x = torch.randn(shape)
    expected = fvcore_count(module, x)
    assert meta_count(module, x) == expected
    with torch.no_grad(), FlopCounter() as counter:  # real tensors count the same
        module(x)
    assert counter.flops == expected and not counter.unknown


@pytest.mark.parametrize('name', ['bilinear', 'bilinear-aligned', 'nearest', 'deconv', 'groupnorm'])
def test_deterministic_mode_counts_the_same_and_is_restored(name):
    """MMEngine's ``randomness.deterministic`` must not change the count (bilinear upsampling
    otherwise runs as uncounted index ops) and stays on after counting."""
    module, shape = CASES[name]
    x = torch.randn(shape)
    expected = meta_count(module.eval(), x)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert meta_count(module, x) == expected
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.is_deterministic_algorithms_warn_only_enabled()
    finally:
        torch.use_deterministic_algorithms(False)


@pytest.mark.parametrize('backend', ['math', 'cpu-flash', 'meta'])
def test_fused_attention_is_counted_as_its_two_matmuls(backend):
    attn = Attention(16, num_heads=2).eval()
    attn.fused_attn = False
    x = torch.randn(2, 7, 16)
    expected = fvcore_count(attn, x)
    attn.fused_attn = True
    if backend == 'meta':
        flops = count_flops(copy_fused(attn), x.to('meta'))[0]
    else:
        sdp = torch.nn.attention.SDPBackend.MATH if backend == 'math' else torch.nn.attention.SDPBackend.FLASH_ATTENTION
        with torch.nn.attention.sdpa_kernel(sdp):
            flops = count_flops(attn, x)[0]
    assert flops == expected


def copy_fused(attn: nn.Module) -> nn.Module:
    clone = meta_copy(attn)
    clone.fused_attn = True
    return clone


@pytest.mark.parametrize('op', ['_scaled_dot_product_flash_attention_for_cpu', '_scaled_dot_product_efficient_attention',
                                '_scaled_dot_product_flash_attention', '_scaled_dot_product_cudnn_attention'])
def test_every_attention_backend_op_has_the_two_matmul_rule(op):
    from snnet_mm.stitching.flops import _ATEN_RULES  # noqa: PLC0415 - the rule table itself
    q = torch.empty(2, 3, 5, 4, device='meta')
    k = torch.empty(2, 3, 6, 4, device='meta')
    v = torch.empty(2, 3, 6, 8, device='meta')
    assert _ATEN_RULES[f'aten::{op}']((q, k, v), None) == 2 * 3 * 5 * 4 * 6 + 2 * 3 * 5 * 6 * 8


def test_unknown_op_is_named_in_one_warning(caplog):
    x = torch.randn(4, 4)
    with caplog.at_level(logging.WARNING, logger='snnet_mm'), FlopCounter() as counter:
        torch.cumprod(x, 0)
        torch.cumprod(x, 1)
    assert counter.unknown == {'aten::cumprod': 2}
    assert [r.getMessage() for r in caplog.records if 'aten::cumprod' in r.getMessage()] == [
        'FLOPs not counted for ops without a counting rule: aten::cumprod (x2)']


def test_free_and_uncounted_lists_are_disjoint():
    assert not FREE_OPS & UNCOUNTED_OPS
