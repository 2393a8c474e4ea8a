"""Front bundles end to end: export the Pareto stitches of a sweep, pick one by budget, run it
without PyTorch; bad inputs fail clearly and write nothing."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip('onnxruntime')
pytest.importorskip('mmseg')
pytest.importorskip('mmpretrain')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools_loader import TOOLS, load_tool  # noqa: E402
from upstream import CONFIGS, ROOT  # noqa: E402

from snnet_mm.deploy import BundleError, FrontBundle  # noqa: E402

CLS = str(CONFIGS / 'classification' / 'snnetv2_tiny_imagenet-32px.py')
SEG = str(CONFIGS / 'segmentation' / 'upernet_snnetv2_tiny_ade20k-64x64.py')
# Made-up sweep metrics: stitch 2 is dominated (costlier than stitch 0, less accurate).
METRICS = {CLS: ('accuracy/top1', [40.0, 90.0, 30.0, 70.0]), SEG: ('mIoU', [10.0, 30.0, 5.0, 20.0])}


def sweep(tool, config: str, directory: Path, *, checkpoint: Path | None = None) -> tuple[Path, Path]:
    """A random-weight checkpoint of ``config`` and a stitches.json of made-up metrics for it
    (the sweep's real FLOPs and params, its fingerprint naming the checkpoint)."""
    from mmengine.config import Config

    from snnet_mm.evaluation.fingerprint import checkpoint_digest
    from snnet_mm.evaluation.results import write_tables
    directory.mkdir(parents=True, exist_ok=True)
    if checkpoint is None:
        torch.manual_seed(0)
        checkpoint = directory / 'model.pth'
        torch.save(dict(state_dict=tool.build_model(Config.fromfile(config)).state_dict()), checkpoint)
    model = tool.build_model(Config.fromfile(config))
    name, values = METRICS[config]
    costs = model.backbone.stitch_costs(model.backbone.net.input_size)
    records = [dict(index=i, official_id=None, route=s.route, flops=costs[i].flops, params=costs[i].params,
                    **{name: values[i]}) for i, s in enumerate(model.backbone.stitches)]
    write_tables(records, directory, fingerprint=dict(checkpoint=checkpoint_digest(str(checkpoint))))
    return checkpoint, directory / 'stitches.json'


@pytest.fixture(scope='module')
def tool():
    return load_tool('export_stitch')


@pytest.fixture(scope='module')
def bundles(tool, tmp_path_factory):
    """Front bundles of the tiny classification and UperNet configs, with their inputs."""
    made = {}
    for config in (CLS, SEG):
        root = tmp_path_factory.mktemp('bundle')
        checkpoint, results = sweep(tool, config, root / 'sweep')
        result = tool.main([config, str(checkpoint), '--format', 'onnx', '--stitch', 'front', '--results',
                            str(results), '--out', str(root / 'front')])
        made[config] = dict(root=root, bundle=root / 'front', checkpoint=checkpoint, results=results, result=result)
    return made


def test_bundle_holds_the_pareto_stitches_checked_and_timed(bundles):
    for config, made in bundles.items():
        manifest = json.loads((made['bundle'] / 'manifest.json').read_text())
        stitches = manifest['stitches']
        assert [s['index'] for s in stitches] == [0, 3, 1]  # stitch 2 is dominated; ordered by GFLOPs
        assert [s['gflops'] for s in stitches] == sorted(s['gflops'] for s in stitches)
        assert manifest['metric'] == dict(name=METRICS[config][0], higher_is_better=True)
        assert [s['metric'] for s in stitches] == [METRICS[config][1][i] for i in (0, 3, 1)]
        assert all(s['parity'] <= 1e-4 and s['latency_ms'] > 0 for s in stitches)
        assert manifest['export']['opset'] == 18 and manifest['input']['size'] == made['result']['size']
        assert sorted(p.name for p in made['bundle'].iterdir()) == sorted(
            ['manifest.json'] + [f'stitch_{i:03d}.onnx' for i in (0, 1, 3)])
        assert sorted(p.name for p in made['root'].iterdir()) == ['front', 'sweep']  # no temporary folder left
    seg = json.loads((bundles[SEG]['bundle'] / 'manifest.json').read_text())
    assert seg['task'] == 'segmentation' and seg['outputs'] == ['seg_logits'] and len(seg['classes']) == 150


def test_pick_follows_the_budget(bundles):
    bundle = FrontBundle(bundles[CLS]['bundle'])
    by_index = {s.index: s for s in bundle.stitches}
    assert bundle.choose(max_gflops=by_index[3].gflops).index == 3
    assert bundle.choose(max_gflops=by_index[1].gflops * 2).index == 1
    assert bundle.choose(min_metric=50).index == 3  # the cheapest stitch reaching 50
    assert bundle.choose(max_latency_ms=max(s.latency_ms for s in bundle.stitches)).index == 1
    session = bundle.pick(max_gflops=by_index[0].gflops)
    assert session.stitch.index == 0
    logits = session(np.zeros((2, 3, *bundle.input_size), np.float32))['logits']
    assert logits.shape == (2, 5)
    with pytest.raises(ValueError, match=r"max_gflops: 1e-09 is met by no stitch of the bundle \(the cheapest, "
                                         r"stitch 0 'S\[0:2\]', has"):
        bundle.choose(max_gflops=1e-9)
    with pytest.raises(ValueError, match=r"min_metric: 95 is met by no stitch .*the best, stitch 1 .* 90"):
        bundle.choose(min_metric=95)
    with pytest.raises(ValueError, match='budget: give at least one of'):
        bundle.choose()
    with pytest.raises(ValueError, match=r'max_latency_ms: expected a finite number >= 0, got -1'):
        bundle.choose(max_latency_ms=-1)


@pytest.mark.parametrize('damage', ['missing', 'altered'])
def test_damaged_bundle_names_the_file(bundles, tmp_path, damage):
    bundle = shutil.copytree(bundles[CLS]['bundle'], tmp_path / 'front')
    target = bundle / 'stitch_003.onnx'
    if damage == 'missing':
        target.unlink()
        message = r"stitch_003.onnx \(stitch 3, .*\) listed in manifest.json is missing"
    else:
        data = bytearray(target.read_bytes())
        data[-1] ^= 1
        target.write_bytes(bytes(data))
        message = r'stitch_003.onnx \(stitch 3, .*\) was altered: its SHA-256 is [0-9a-f]{64}, manifest.json says'
    with pytest.raises(BundleError, match=message):
        FrontBundle(bundle)
    with pytest.raises(BundleError, match='holds no manifest.json'):
        FrontBundle(tmp_path)


BLOCK_TORCH = """
import importlib.abc, runpy, sys
class BlockTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'torch':
            raise ImportError(f'{name} is blocked: deployment runs without PyTorch')
sys.meta_path.insert(0, BlockTorch())
import numpy, onnxruntime, PIL.Image
top = lambda: {m.split('.')[0] for m in sys.modules}
before = top()
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
new = sorted(top() - before - set(sys.stdlib_module_names))
print('IMPORTED', new)
"""


@pytest.mark.parametrize('config', [CLS, SEG], ids=['classification', 'segmentation'])
def test_run_onnx_runs_the_bundle_without_torch(bundles, config, tmp_path):
    from PIL import Image
    size = bundles[config]['result']['size']
    image = tmp_path / 'image.png'
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (size[0] + 7, size[1] + 5, 3), np.uint8)).save(image)
    manifest = json.loads((bundles[config]['bundle'] / 'manifest.json').read_text())
    fastest = max(s['latency_ms'] for s in manifest['stitches'])
    result = subprocess.run([sys.executable, '-c', BLOCK_TORCH, str(TOOLS / 'run_onnx.py'), str(bundles[config]['bundle']),
                             str(image), '--max-latency-ms', str(fastest)], capture_output=True, text=True,
                            timeout=300, env={**os.environ, 'PYTHONPATH': str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert out.startswith('stitch 1 (') and 'prediction: ' in out  # the most accurate stitch within the budget
    assert ('top-5: class ' if config == CLS else f"{size[0]}x{size[1]} label map; most pixels: '") in out
    assert "IMPORTED ['snnet_mm']" in out  # nothing but the package itself beyond numpy and onnxruntime


def test_front_needs_results_of_this_checkpoint(tool, bundles, tmp_path):
    other = bundles[SEG]['results']  # another model's sweep (same routes: the tiny anchors are alike)
    out = tmp_path / 'out'
    with pytest.raises(ValueError, match=r"--results: '.*' was swept on checkpoint sha256:[0-9a-f]+, the checkpoint "
                                         r"exported is sha256:[0-9a-f]+: these are another model's results"):
        tool.main([CLS, str(bundles[CLS]['checkpoint']), '--format', 'onnx', '--stitch', 'front', '--results',
                   str(other), '--out', str(out)])
    content = json.loads(bundles[CLS]['results'].read_text())
    del content['fingerprint']
    content['stitches'][1]['route'] = 'L[0:9]'
    (tmp_path / 'stitches.json').write_text(json.dumps(content))
    with pytest.raises(ValueError, match=r"--results: '.*' holds stitch 1 as 'L\[0:9\]', this model's stitch 1 is "
                                         r"'L\[0:4\]' \(4 stitches\): these are another model's results"):
        tool.main([CLS, str(bundles[CLS]['checkpoint']), '--format', 'onnx', '--stitch', 'front', '--results',
                   str(tmp_path / 'stitches.json'), '--out', str(out)])
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ['stitches.json']


@pytest.mark.parametrize('args, message', [
    (['--stitch', 'front', '--format', 'onnx'], '--stitch front: needs --results stitches.json'),
    (['--stitch', 'front', '--format', 'pytorch'], '--stitch front: exports ONNX only; add --format onnx'),
    (['--stitch', '1', '--input-size', '32', '32'], '--input-size: exports ONNX only; add --format onnx'),
    (['--stitch', '1', '--format', 'onnx', '--results', 'x.json'], '--results: only read with --stitch front'),
    (['--stitch', '1', '--format', 'onnx', '--input-size', '64', '64'],
     r'--input-size: 64 64: this backbone takes 32x32 images only'),
])
def test_bad_options_fail_before_writing(tool, bundles, tmp_path, args, message):
    with pytest.raises(ValueError, match=message):
        tool.main([CLS, str(bundles[CLS]['checkpoint']), '--out', str(tmp_path / 'out'), *args])
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_and_missing_onnxruntime(tool, bundles, tmp_path, monkeypatch, capsys):
    checkpoint = str(bundles[CLS]['checkpoint'])
    with pytest.raises(SystemExit):
        tool.main([CLS, checkpoint, '--stitch', '1', '--format', 'tflite', '--out', str(tmp_path / 'out')])
    assert re.search(r"argument --format: invalid choice: 'tflite' \(choose from '?pytorch'?, '?onnx'?\)",
                     capsys.readouterr().err)
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    with pytest.raises(ImportError, match=r"onnxruntime is not installed .*install the deploy extra: "
                                          r"pip install 'snnet_mm\[deploy\]'"):
        tool.main([CLS, checkpoint, '--stitch', '1', '--format', 'onnx', '--out', str(tmp_path / 'out')])
    assert list(tmp_path.iterdir()) == []


def test_single_stitch_export_and_a_refused_parity(tool, bundles, tmp_path, monkeypatch):
    checkpoint = str(bundles[CLS]['checkpoint'])
    result = tool.main([CLS, checkpoint, '--stitch', 'S[0:1]->L[2:4]', '--format', 'onnx', '--out',
                        str(tmp_path / 'one')])
    assert sorted(p.name for p in (tmp_path / 'one').iterdir()) == ['stitch.json', 'stitch.onnx']
    info = json.loads((tmp_path / 'one' / 'stitch.json').read_text())
    assert info['route'] == 'S[0:1] -> L[2:4]' and info['parity'] == result['stitches'][0]['parity'] <= 1e-4
    assert info['export']['opset'] == 18 and info['input']['size'] == [32, 32]
    from snnet_mm.onnx_export import ParityError, exporter
    monkeypatch.setattr(exporter, 'relative_error', lambda ours, reference: 2e-4)
    with pytest.raises(ParityError, match=r'stitch.onnx: onnxruntime outputs differ from PyTorch by 0.0002 relative '
                                          r'\(tolerance 0.0001\)'):
        tool.main([CLS, checkpoint, '--stitch', '1', '--format', 'onnx', '--out', str(tmp_path / 'two')])
    assert sorted(p.name for p in tmp_path.iterdir()) == ['one']
