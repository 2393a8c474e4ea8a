"""Every bad input gets a clear error naming the field and the value, before any slow work.

One table per entry point: (bad input, expected message fragment). docs/reliability.md lists
what each table covers.
"""
from __future__ import annotations

import json
import math
import pickle
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

pytest.importorskip('mmengine')
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / 'engine'))
sys.path.insert(0, str(Path(__file__).resolve().parent / 'evaluation'))
from conftest import tiny_anchor  # noqa: E402
from tools_loader import load_tool  # noqa: E402
from toy import ToyImages, ToyStitchedClassifier  # noqa: E402
from toy_sweep import argv, write_config  # noqa: E402

from snnet_mm import SNNetv2, StitchSamplingHook  # noqa: E402
from snnet_mm.engine.stitch_sampling_hook import check_stitch_spec  # noqa: E402
from snnet_mm.evaluation import select_stitch  # noqa: E402
from snnet_mm.evaluation.sweep import check_iterations  # noqa: E402
from snnet_mm.stitching import StitchedViT, enumerate_stitches  # noqa: E402
from snnet_mm.stitching.sampling import group_by_flops  # noqa: E402
from snnet_mm.stitching.selection import parse_stitch_set  # noqa: E402

S, L = tiny_anchor(2, 32), tiny_anchor(4, 64)


def _raises(call, fragment: str, error: type[Exception] = ValueError) -> None:
    with pytest.raises(error) as info:
        call()
    assert fragment in str(info.value), f'{fragment!r} not in {str(info.value)!r}'


# --------------------------------------------------------------------------- stitch space
@pytest.mark.parametrize('kwargs, fragment', [
    (dict(mode='v3'), "mode: expected one of ('v2', 'v1'), got 'v3'"),
    (dict(kinds='SL'), "kinds: expected a list of kinds such as ['SL'], got the string 'SL'"),
    (dict(kinds=('SL', 'XX')), "kinds: unknown kind(s) ['XX']"),
    (dict(kinds=()), 'kinds: the selection [] leaves no stitch'),
    (dict(selected=[]), 'selected: expected a non-empty list of stitch indices, got []'),
    (dict(selected=[99]), 'selected: stitch index 99 out of range [0, 4)'),
    (dict(selected=[True]), 'selected: stitch index True out of range'),
    (dict(selected=[1, 1]), 'selected: duplicate stitch indices in [1, 1]'),
    (dict(depths=(2,)), 'depths: at least two anchors are needed, got [2]'),
    (dict(depths=(0, 4)), 'depths: every anchor (and stage) needs at least one block, got [0, 4]'),
    (dict(depths=(4, 2)), 'depths: the cheaper anchor must not be deeper, got [4, 2]'),
    (dict(depths=(2, 3, 4)), "depths: mode='v2' stitches exactly two anchors, got 3"),
    (dict(names=('S',)), "names: expected 2 names, got ['S']"),
], ids=lambda v: repr(v) if isinstance(v, dict) else '')
def test_stitch_space(kwargs, fragment):
    _raises(lambda: enumerate_stitches(**{'depths': (2, 4), **kwargs}), fragment)


@pytest.mark.parametrize('spec, fragment', [
    ('some', "stitches: expected 'all', 'anchors' or comma-separated indices, routes"),
    ('0,9', 'stitches: stitch index 9 out of range [0, 4)'),
    ([True], 'stitches: expected a stitch index, a route or dict(max_gflops=...), got True'),
    ([], 'stitches: no stitch selected'),
])
def test_stitch_set(spec, fragment):
    _raises(lambda: parse_stitch_set(spec, enumerate_stitches((2, 4)).stitches), fragment)


# --------------------------------------------------------------------------- stitched network
@pytest.mark.parametrize('kwargs, fragment', [
    (dict(mode='v3', out_indices=[1]), "mode: expected one of ('v2', 'v1'), got 'v3'"),
    (dict(kinds='SL'), "kinds: expected a list of kinds such as ['SL']"),
    (dict(selected=[]), 'selected: expected a non-empty list of stitch indices, got []'),
    (dict(anchors=[S, tiny_anchor(4, 64, name='deit_tiny_distilled_patch16_224')]),
     "anchors[1].name: 'deit_tiny_distilled_patch16_224' has prefix tokens (class, distillation, register) 2, "
     "'vit_tiny_patch16_224' has 1"),
    (dict(anchors=[S, tiny_anchor(4, 64, patch_size=8)]), 'has patch size (8, 8)'),
    (dict(anchors=[S, dict(name='no_such_vit_xyz')]), "anchors[1].name: unknown timm model 'no_such_vit_xyz'"),
    (dict(anchors=[S, {**L, 'checkpoint': '/nonexistent/l.pth'}]),
     "anchors[1].checkpoint: no such file '/nonexistent/l.pth'"),
    (dict(anchors=[S, {**L, 'pretrained': True}]), "anchors[1]: unknown key(s) ['pretrained']"),
    (dict(anchors=[S]), 'anchors: expected a list of at least two anchors'),
    (dict(anchors=[S, {**L, 'drop_path_rate': math.nan}]),
     'anchors[1].drop_path_rate: expected a number in [0, 1), got nan'),
    (dict(anchors=[{**S, 'drop_path_rate': 1.5}, L]),
     'anchors[0].drop_path_rate: expected a number in [0, 1), got 1.5'),
    (dict(lora_rank=0), 'lora_rank: expected a positive int'),
    (dict(lora_alpha=math.nan), 'lora_alpha: expected a finite number, got nan'),
    (dict(lora_alpha=math.inf), 'lora_alpha: expected a finite number, got inf'),
    (dict(out_indices=[9]), 'out_indices: block index 9 out of range for the largest anchor (4 blocks)'),
    (dict(out_indices=[]), 'out_indices: expected at least one block index'),
    (dict(anchors=[S, L, tiny_anchor(6, 96)], out_indices=[1]), 'out_indices: dense outputs need two anchors'),
    (dict(anchors=[S, tiny_anchor(4, 64, no_such_argument=3)]),
     "anchors[1].model_kwargs: 'vit_tiny_patch16_224' does not accept {"),
], ids=lambda v: repr(v)[:60] if isinstance(v, dict) else '')
def test_stitched_network(kwargs, fragment):
    _raises(lambda: StitchedViT(**{'anchors': [S, L], **kwargs}), fragment)


@pytest.mark.parametrize('kwargs, fragment', [
    (dict(stitch=99), 'stitch: stitch index 99 out of range'),
    (dict(stitch=dict(max_gflops=math.nan)), 'stitch.max_gflops: expected a finite positive number, got nan'),
    (dict(stitch=dict(max_gflops=math.inf)), 'stitch.max_gflops: expected a finite positive number, got inf'),
    (dict(stitch=dict(max_gflops=math.nan, results='stitches.json')),
     'stitch.max_gflops: expected a finite positive number, got nan'),
    (dict(stitch=dict(max_gflops=1.0, results='/nonexistent/stitches.json')),
     "stitch.results: no such file '/nonexistent/stitches.json'"),
    (dict(stitch=dict(max_gflops=1.0, input_size=0)),
     'stitch.input_size: expected a positive int or two positive ints (H, W), got 0'),
    (dict(stitch=dict(max_gflops=1.0, input_size=(0, 64))), 'stitch.input_size: expected a positive int'),
    (dict(stitch=dict(max_gflops=1.0, input_size='64')), "stitch.input_size: expected a positive int or two "
                                                        "positive ints (H, W), got '64'"),
    (dict(stitch=dict(max_gflops=1.0, input_size=(64, 64, 3))), 'stitch.input_size: expected a positive int'),
], ids=lambda v: repr(v)[:60] if isinstance(v, dict) else '')
def test_backbone(kwargs, fragment):
    _raises(lambda: SNNetv2(anchors=[S, L], **kwargs), fragment)


# --------------------------------------------------------------------------- training hook
@pytest.mark.parametrize('kwargs, fragment', [
    (dict(stitches='0,x'), "stitches: 'x' is not a stitch index >= 0, a route or '<form>:<arg>'"),
    (dict(stitches=[]), 'stitches: no stitch selected (got [])'),
    (dict(stitches=[0, -1]), 'stitches: -1 is not a stitch index >= 0'),
    (dict(stitches=[1.5]), 'stitches: 1.5 is not a stitch index >= 0'),
    (dict(stitches=5), "stitches: expected 'all', 'anchors', comma-separated stitches or a list of stitches, got 5"),
    (dict(seed='x'), "seed: expected an int or None (the runner seed), got 'x'"),
    (dict(seed=1.5), 'seed: expected an int or None (the runner seed), got 1.5'),
    (dict(input_size=64), 'input_size: expected (height, width) as two positive ints, got 64'),
    (dict(input_size=(0, 3)), 'input_size: expected (height, width) as two positive ints, got (0, 3)'),
    (dict(gap_gflops=math.nan), 'gap_gflops: expected a finite number > 0, got nan'),
    (dict(gap_gflops=math.inf), 'gap_gflops: expected a finite number > 0, got inf'),
    (dict(gap_gflops=-1), 'gap_gflops: expected a finite number > 0, got -1'),
    (dict(gap_gflops='1'), "gap_gflops: expected a finite number > 0, got '1'"),
    (dict(num_init_images=0), 'num_init_images: expected an int >= 1, got 0'),
    (dict(num_init_images=True), 'num_init_images: expected an int >= 1, got True'),
    (dict(init_batch_size=2.0), 'init_batch_size: expected an int >= 1, got 2.0'),
    (dict(strategy='random'), "strategy: expected one of ('flops_grouped', 'uniform'), got 'random'"),
], ids=lambda v: repr(v) if isinstance(v, dict) else '')
def test_hook_arguments(kwargs, fragment):
    _raises(lambda: StitchSamplingHook(**kwargs), fragment)


@pytest.mark.parametrize('kwargs, fragment', [
    (dict(stitches=[0, 99]), 'stitches: stitch index 99 out of range [0, 8)'),
    (dict(stitches='0,99'), 'stitches: stitch index 99 out of range [0, 8)'),
    (dict(num_init_images=1000), 'num_init_images: 1000 is larger than the training set (64 images)'),
    (dict(gap_gflops=1000.0), 'gap_gflops: 1000.0 puts all 8 stitches'),
], ids=lambda v: repr(v) if isinstance(v, dict) else '')
def test_hook_model_dependent_arguments_fail_before_the_least_squares_init(kwargs, fragment, monkeypatch):
    monkeypatch.setattr(SNNetv2, 'init_stitching_layers', lambda *a, **k: pytest.fail('initialised before checking'))
    dataset = ToyImages(64)
    runner = SimpleNamespace(model=ToyStitchedClassifier(), seed=0, train_dataloader=torch.utils.data.DataLoader(
        dataset, collate_fn=torch.utils.data.default_collate))
    hook = StitchSamplingHook(**{'num_init_images': 16, **kwargs})
    _raises(lambda: hook.before_train(runner), fragment)


def test_hook_accepts_a_stitch_string():
    hook = StitchSamplingHook(stitches='0, 3', strategy='uniform', input_size=(32, 32), num_init_images=4)
    runner = SimpleNamespace(model=ToyStitchedClassifier(), seed=0, train_dataloader=torch.utils.data.DataLoader(
        ToyImages(8), collate_fn=torch.utils.data.default_collate))
    hook.before_train(runner)
    assert sorted(i for group in hook.sampler.groups for i in group) == [0, 3]


@pytest.mark.parametrize('spec, fragment', [
    ('some', "stitches: 'some' is not a stitch index >= 0, a route or '<form>:<arg>' (e.g. 'official:29')"),
])
def test_validation_loop_stitches(spec, fragment):
    _raises(lambda: check_stitch_spec(spec), fragment)


@pytest.mark.parametrize('gap, fragment', [(math.nan, 'got nan'), (math.inf, 'got inf'), (0, 'got 0')])
def test_flops_group_gap(gap, fragment):
    _raises(lambda: group_by_flops([1.0, 2.0], [0, 1], gap), f'gap: expected a finite, positive FLOPs gap, {fragment}')


# --------------------------------------------------------------------------- sweep and selection
@pytest.mark.parametrize('kwargs, fragment', [
    (dict(latency_iters=-1), 'latency_iters: expected an int >= 0, got -1'),
    (dict(warmup_iters=1.5), 'warmup_iters: expected an int >= 0, got 1.5'),
])
def test_sweep_iterations(kwargs, fragment):
    _raises(lambda: check_iterations(**kwargs), fragment)


RECORDS = [dict(index=0, route='S', kind='anchor', flops=1e9, params=1e6, latency_ms=1.0, mIoU=30.0),
           dict(index=1, route='L', kind='anchor', flops=4e9, params=4e6, latency_ms=3.0, mIoU=40.0)]


@pytest.mark.parametrize('kwargs, fragment', [
    (dict(metric='mAP', max_gflops=2), "metric: 'mAP' is not among the reported metrics ['mIoU']"),
    (dict(), "budget: give at least one of ['max_gflops', 'max_latency_ms', 'max_params_m']"),
    (dict(max_gflops=math.nan), 'max_gflops: expected a finite number >= 0, got nan'),
    (dict(max_latency_ms=math.inf), 'max_latency_ms: expected a finite number >= 0, got inf'),
    (dict(max_params_m=-1), 'max_params_m: expected a finite number >= 0, got -1'),
    (dict(max_gflops=0.5), 'max_gflops: budget 0.5 is below the cheapest stitch (1)'),
], ids=lambda v: repr(v) if isinstance(v, dict) else '')
def test_budget_selection(kwargs, fragment):
    _raises(lambda: select_stitch(RECORDS, **kwargs), fragment)


@pytest.mark.parametrize('content, args, fragment', [
    (None, [], "results: no such file '{path}'"),
    ('', [], "results: '{path}' is empty"),
    ('{"stitches": [', [], "results: '{path}' is not JSON (Expecting value: line 1 column 15"),
    ('[1, 2]', [], "results: '{path}' holds no \"stitches\" list"),
    ('{"stitches": {"index": 0}}', [], "results: '{path}' holds no \"stitches\" list"),
    ('{"stitches": []}', [], "results: '{path}' holds no stitch"),
    ('{"stitches": [{"index": 0, "route": "S", "params": 1}]}', [],
     "results: '{path}': stitch record 0 lacks ['flops']"),
    (json.dumps(dict(stitches=RECORDS)), ['--metric', 'top1'], "metric: 'top1' is not among the reported metrics"),
    (json.dumps(dict(stitches=RECORDS)), ['--max-gflops', 'nan'], 'max_gflops: expected a finite number >= 0'),
], ids=['missing', 'empty', 'malformed', 'list', 'stitches-not-list', 'no-stitch', 'record-lacks-flops',
        'unknown-metric', 'nan-budget'])
def test_select_stitch_tool(tmp_path, content, args, fragment):
    path = tmp_path / 'stitches.json'
    if content is not None:
        path.write_text(content)
    tool = load_tool('select_stitch')
    _raises(lambda: tool.main([str(path), '--max-gflops', '2', *args]), fragment.format(path=path))


# --------------------------------------------------------------------------- checkpoints
class _SystemPayload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        import os
        return (os.system, (f'touch {self.marker}',))


def test_a_crafted_checkpoint_is_refused_by_the_sweep(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / 'pwned'
    torch.save({'state_dict': {}, 'meta': {'x': _SystemPayload(str(marker))}}, tmp_path / 'evil.pth')
    _raises(lambda: load_tool('test_stitches').main(argv(write_config(tmp_path), 'evil.pth', 'w')),
            '(posix.system), which safe loading refuses', pickle.UnpicklingError)
    assert not marker.exists()
