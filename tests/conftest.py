"""Shared fixtures: tiny timm anchors (width 32/64, depth 2/4) built in milliseconds."""
from __future__ import annotations

import pytest

import torch


def tiny_anchor(depth: int, width: int, *, img_size: int = 32, num_classes: int = 10,
                name: str = 'vit_tiny_patch16_224', **kwargs) -> dict:
    """Config dict of a tiny timm ViT anchor (patch 16, two heads)."""
    return dict(name=name, model_kwargs=dict(embed_dim=width, depth=depth, num_heads=2,
                                             img_size=img_size, num_classes=num_classes, **kwargs))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
