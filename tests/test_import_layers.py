"""Imports inside snnet_mm run one way: no module imports itself back through others, and no
floor imports a higher one (docs/architecture.md). Read from the source with ``ast``: every
``import`` and ``from ... import`` anywhere in a file (inside functions and ``TYPE_CHECKING``
blocks too) and every ``importlib.import_module('<literal>')``."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / 'snnet_mm'

# Floor of each top-level part of the package; a module may import its own floor and the floors below.
FLOORS = {
    'utils': 0,  # argument checks: pure Python
    'deploy': 0,  # the PyTorch-free ONNX runtime: numpy + onnxruntime
    'stitching': 1,  # the core engine: torch + timm
    'models': 2, 'interop': 2, 'datasets': 2, 'tiny_data': 2, 'compat': 2, 'mim': 2,  # OpenMMLab adapters
    'engine': 3,  # hooks, loops
    'evaluation': 4,  # sweep, FLOPs of whole models, reports
    'onnx_export': 5, 'demo': 5,  # deployment and the web demo, over a trained model
    'quickstart': 5, 'cli': 6, '__init__': 6, '__main__': 7,  # entry points
}
# The core is importable without OpenMMLab: none of these may be imported under stitching/ or utils/.
OPENMMLAB = ('mmengine', 'mmcv', 'mmseg', 'mmdet', 'mmpretrain')


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob('*.py'))}


def imported_names(source: str, package: str) -> set[str]:
    """Absolute names of everything ``source`` imports (modules and ``from`` targets); relative
    imports are read from ``package``, the package the source lies in."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                anchor = package.split('.')[:len(package.split('.')) - (node.level - 1)]
                base = '.'.join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f'{base}.{alias.name}' for alias in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, 'attr', getattr(node.func, 'id', None)) == 'import_module'
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            names.add(node.args[0].value)
    return names


def file_imports(path: Path) -> set[str]:
    module = module_name(path)
    return imported_names(path.read_text(), module if path.name == '__init__.py' else module.rpartition('.')[0])


def internal_imports(path: Path) -> set[str]:
    """The snnet_mm modules ``path`` imports (the longest module each imported name lies in)."""
    found = set()
    for name in file_imports(path):
        while name and name not in MODULES:
            name = name.rpartition('.')[0]
        if name and name != module_name(path):
            found.add(name)
    return found


GRAPH = {name: internal_imports(path) for name, path in MODULES.items()}


def part(module: str) -> str:
    """The top-level part of the package a module belongs to (``'__init__'`` for the package itself)."""
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else '__init__'


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_part_of_the_package_has_a_floor():
    assert {part(m) for m in MODULES} <= set(FLOORS), {part(m) for m in MODULES} - set(FLOORS)


def test_no_import_cycle():
    assert cycles(GRAPH) == []


@pytest.mark.parametrize('module', sorted(GRAPH))
def test_no_import_reaches_a_higher_floor(module):
    floor = FLOORS[part(module)]
    upward = sorted(t for t in GRAPH[module] if FLOORS[part(t)] > floor)
    assert not upward, f'{module} (floor {floor}) imports ' + ', '.join(f'{t} (floor {FLOORS[part(t)]})' for t in upward)


@pytest.mark.parametrize('module', sorted(m for m in GRAPH if part(m) in ('stitching', 'utils')))
def test_core_imports_neither_adapters_nor_openmmlab(module):
    names = file_imports(MODULES[module])
    assert not [n for n in names if n.split('.')[0] in OPENMMLAB], module
    assert not [t for t in GRAPH[module] if part(t) not in ('stitching', 'utils')], module


@pytest.mark.parametrize('module', sorted(m for m in GRAPH if part(m) == 'deploy'))
def test_deploy_runtime_imports_neither_torch_nor_the_rest_of_the_package(module):
    """``snnet_mm.deploy`` runs where PyTorch is not installed (numpy + onnxruntime only)."""
    names = file_imports(MODULES[module])
    assert not [n for n in names if n.split('.')[0] in ('torch', 'timm') + OPENMMLAB], module
    assert not [t for t in GRAPH[module] if part(t) != 'deploy'], module


def test_the_check_sees_what_it_must_refuse():
    """Relative, lazy, ``TYPE_CHECKING`` and string imports are read; a circle is found."""
    source = """
from typing import TYPE_CHECKING
from . import layers
from ..models.backbone import SNNetv2
if TYPE_CHECKING:
    from .cost import StitchCost
def later():
    import importlib
    from ...snnet_mm import compat
    return importlib.import_module('snnet_mm.evaluation.sweep')
"""
    names = imported_names(source, 'snnet_mm.stitching')
    assert {'snnet_mm.stitching.layers', 'snnet_mm.models.backbone.SNNetv2', 'snnet_mm.stitching.cost.StitchCost',
            'snnet_mm.evaluation.sweep', 'importlib'} <= names
    assert cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}) == [['a', 'b', 'c']]
    assert cycles({'a': {'b'}, 'b': set()}) == []
