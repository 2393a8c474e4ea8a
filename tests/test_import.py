"""``import snnet_mm`` registers everything, imports only what registration needs, prints nothing."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip('mmengine')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

REGISTERED = """
import sys
import snnet_mm
from mmengine.registry import HOOKS, LOOPS, MODEL_WRAPPERS, MODELS
for registry, name in ((MODELS, 'SNNetv2'), (MODELS, 'SimpleFeaturePyramid'), (MODELS, 'LN2d'),
                       (MODELS, 'DPTDepthHead'), (HOOKS, 'StitchSamplingHook'), (LOOPS, 'StitchValLoop'),
                       (MODEL_WRAPPERS, 'StitchDistributedDataParallel')):
    assert registry.get(name) is not None, name
print('LOADED', sorted(m for m in ('timm', 'torchvision', 'mmseg', 'mmdet', 'mmpretrain', 'gradio', 'playwright',
                                   'onnxruntime', 'onnx') if m in sys.modules))
"""


def python(code: str, **env: str) -> str:
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300,
                            env={**os.environ, 'PYTHONPATH': ROOT, **env})
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def test_import_registers_everything_without_heavy_imports():
    assert 'LOADED []' in python(REGISTERED)


def test_lazy_entry_builds_the_real_class_from_the_mmseg_scope():
    code = """
import torch, snnet_mm
from mmseg.registry import MODELS
from mmseg.utils import register_all_modules
register_all_modules()
head = MODELS.build(dict(type='DPTDepthHead', in_channels=32, channels=16, post_process_channels=(8, 16, 32, 32),
                         readout_type='ignore', patch_size=16, min_depth=1e-3, max_depth=10.0))
from snnet_mm.models import DPTDepthHead
assert type(head) is DPTDepthHead and MODELS.get('DPTDepthHead') is DPTDepthHead
print('OK')
"""
    assert 'OK' in python(code)
    direct = """
import snnet_mm
from mmengine.registry import MODELS
import snnet_mm.models.dpt_depth_head as module  # imported directly: replaces the lazy entry
assert MODELS.get('DPTDepthHead') is module.DPTDepthHead
print('OK')
"""
    assert 'OK' in python(direct)


def test_import_prints_nothing():
    """A script that prints a result must print only that: ``$(python -c ...)`` gets stdout."""
    result = subprocess.run([sys.executable, '-c', 'import snnet_mm; print(42)'], capture_output=True, text=True,
                            timeout=300, env={**os.environ, 'PYTHONPATH': ROOT})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == '42\n' and result.stderr == ''


def test_compat_patches_apply_once_each_log_at_debug_and_can_be_turned_off():
    code = """
import logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format='%(name)s %(levelname)s %(message)s')
import snnet_mm, snnet_mm.compat as compat
from mmengine.logging.history_buffer import HistoryBuffer
assert compat.apply() == []  # already applied: nothing again, nothing logged again
print('PATCHED', HistoryBuffer.__getstate__ is compat._history_buffer_getstate)
"""
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300,
                            env={**os.environ, 'PYTHONPATH': ROOT})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == 'PATCHED True\n'
    for _, what in __import__('snnet_mm.compat', fromlist=['PATCHES']).PATCHES.values():
        assert result.stderr.count(f'snnet_mm DEBUG snnet_mm compat: {what}') == 1
    output = python(code.replace('== []', '== [] and compat.disabled()'), SNNET_MM_NO_COMPAT='1')
    assert 'PATCHED False' in output and 'snnet_mm compat' not in output


def test_core_engine_modules_without_timm_import_no_timm():
    """Stitch spaces, stitching layers, costs, export and the family registry import torch only;
    the family adapters (and timm) load on the first lookup."""
    code = """
import sys
import snnet_mm.stitching, snnet_mm.stitching.families, snnet_mm.stitching.layers, snnet_mm.stitching.stitch
import snnet_mm.stitching.cost, snnet_mm.stitching.export, snnet_mm.stitching.sampling, snnet_mm.stitching.selection
import snnet_mm.stitching.usage
from snnet_mm.stitching.families import adapter_modules
before = 'timm' in sys.modules
from snnet_mm.stitching.families import families
print('LOADED', before, sorted(families()), 'timm' in sys.modules, len(adapter_modules()))
"""
    assert "LOADED False ['levit', 'resnet', 'swin', 'vit'] True 4" in python(code)


def test_demo_engine_imports_no_web_framework_until_the_page_is_built():
    """``snnet demo``'s engine (model, stitch menu, checks) is usable without Gradio; only the page imports it."""
    pytest.importorskip('gradio')
    code = """
import sys
import snnet_mm.demo, snnet_mm.demo.session, snnet_mm.demo.menu, snnet_mm.demo.view, snnet_mm.demo.server
before = sorted(m for m in ('gradio', 'playwright', 'mmseg', 'mmdet', 'mmpretrain') if m in sys.modules)
from snnet_mm.demo.page import import_gradio
import_gradio()
print('LOADED', before, 'gradio' in sys.modules)
"""
    assert "LOADED [] True" in python(code)
