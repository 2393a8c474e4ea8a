"""Shared fixtures: tiny timm anchors (width 32/64, depth 2/4) built in milliseconds."""
from __future__ import annotations

from pathlib import Path

import pytest

import torch

TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """The quickstart's tests first: under ``pytest -n 2 --dist loadfile`` (the README's test
    command) one worker takes that file, the longest, while the other shares out the rest."""
    first = TESTS / 'quickstart' / 'test_quickstart.py'
    items.sort(key=lambda item: Path(str(item.fspath)).resolve() != first)


def tiny_anchor(depth: int, width: int, *, img_size: int = 32, num_classes: int = 10,
                name: str = 'vit_tiny_patch16_224', **kwargs) -> dict:
    """Config dict of a tiny timm ViT anchor (patch 16, two heads)."""
    return dict(name=name, model_kwargs=dict(embed_dim=width, depth=depth, num_heads=2,
                                             img_size=img_size, num_classes=num_classes, **kwargs))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(scope='module', autouse=True)
def _reset_default_scope():
    # Runners and registries set MMEngine's current default scope (mmseg, mmdet, ...) process-wide;
    # every module ends with none, so the next module on this worker starts as it would alone.
    # (Not "restore what the module started with": a session fixture such as quick_cls runs its
    # runner before the first module using it sets up its module fixtures.)
    yield
    try:
        from mmengine.registry import DefaultScope
    except ImportError:  # the core alone (torch + timm)
        return
    DefaultScope._instance_dict.clear()


@pytest.fixture(autouse=True)
def _restore_deterministic_mode():
    # In-process MMEngine runners with randomness.deterministic=True switch this global on.
    state = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    yield
    torch.use_deterministic_algorithms(state[0], warn_only=state[1])


def tiny_resnet(layers: tuple[int, ...] = (1, 1, 1, 1), *, bottleneck: bool = False, base: int = 8,
                num_classes: int = 10) -> dict:
    """Config dict of a tiny timm ResNet anchor (``resnet50`` blocks when ``bottleneck``)."""
    return dict(name='resnet50' if bottleneck else 'resnet18',
                model_kwargs=dict(layers=layers, channels=tuple(base * 2 ** i for i in range(4)),
                                  stem_width=base, num_classes=num_classes))


def tiny_swin(depths: tuple[int, ...] = (1, 1, 2, 1), *, dim: int = 16, img_size: int = 32,
              num_classes: int = 10, **kwargs) -> dict:
    """Config dict of a tiny timm Swin anchor (patch 4, window 2, 32 px)."""
    return dict(name='swin_tiny_patch4_window7_224',
                model_kwargs=dict(depths=depths, embed_dim=dim, num_heads=(1, 1, 2, 2), window_size=2,
                                  img_size=img_size, num_classes=num_classes, **kwargs))


def tiny_levit(depths: tuple[int, ...] = (3, 3, 1), *, dims: tuple[int, ...] = (16, 24, 32), img_size: int = 32,
               num_classes: int = 10, name: str = 'levit_192') -> dict:
    """Config dict of a tiny timm LeViT anchor (stride-16 stem, key dim 8, 32 px: 2x2 tokens in stage 0)."""
    return dict(name=name, model_kwargs=dict(embed_dim=dims, key_dim=8, num_heads=(2, 3, 4), depth=depths,
                                             img_size=img_size, num_classes=num_classes))
