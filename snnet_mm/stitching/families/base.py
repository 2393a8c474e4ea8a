"""What the engine needs to know about one anchor, whatever its family.

An anchor is a timm model seen as an embedding, stages of blocks, and a head. Blocks are
numbered along the whole network (``flat`` indices): boundary ``b`` is the tensor after the
first ``b`` blocks. A stage's width, output stride and tensor layout hold at every boundary
inside it, so a stitching layer between two anchors at the same stage only bridges widths
(and layouts) at one grid.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Sequence

import torch
from torch import nn

LAYOUTS = ('tokens', 'nhwc', 'nchw')


@dataclass(frozen=True)
class Stage:
    """One stage of an anchor.

    Attributes:
        depth: Number of blocks.
        width: Channels of every block output in the stage.
        stride: Input pixels per map cell (grid = image size / stride).
        layout: ``'tokens'`` (N, prefix + H*W, C), ``'nhwc'`` or ``'nchw'``.
    """

    depth: int
    width: int
    stride: int
    layout: str


class FamilyAnchor(nn.Module):
    """Base of the family adapters; ``model`` is the wrapped timm model.

    Subclasses set ``family``, ``model_types`` and ``stitch_stages`` and implement ``stages``,
    ``blocks``, ``embed``, ``head``, ``tail_modules`` and ``prune_memo``.
    """

    family: ClassVar[str] = ''
    #: timm model classes this adapter wraps.
    model_types: ClassVar[tuple[type, ...]] = ()
    #: Stages a v1 stitch may stay in by default (the official SN-Net choice per family).
    stitch_stages: ClassVar[tuple[int, ...]] = (0,)
    #: State-dict keys of the classifier (a checkpoint without them still loads).
    head_keys: ClassVar[tuple[str, ...]] = ()
    #: Whether the timm constructor takes ``img_size`` (models with a fixed-size patch embedding).
    takes_img_size: ClassVar[bool] = False
    #: ``img_size`` of the anchor's config for a family whose timm model takes none (e.g. ResNet).
    configured_size: tuple[int, int] | None = None

    @staticmethod
    def dynamic_kwargs() -> dict[str, Any]:
        """timm keyword arguments that make the model accept any input size."""
        return {}

    @staticmethod
    def checkpoint_filter(state: Mapping[str, Any], model: nn.Module) -> Mapping[str, Any]:
        """Adapt an original checkpoint to ``model`` (e.g. resample position embeddings)."""
        return state

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    # ------------------------------------------------------------ structure
    @property
    def stages(self) -> tuple[Stage, ...]:
        raise NotImplementedError

    @property
    def blocks(self) -> Sequence[nn.Module]:
        """Every block in execution order, as callables on one tensor."""
        raise NotImplementedError

    @property
    def depth(self) -> int:
        return sum(s.depth for s in self.stages)

    @property
    def width(self) -> int:
        """Width of the last stage (the only one of a plain ViT)."""
        return self.stages[-1].width

    @property
    def stage_depths(self) -> tuple[int, ...]:
        return tuple(s.depth for s in self.stages)

    def stage_offset(self, stage: int) -> int:
        """Flat index of the first block of ``stage``."""
        return sum(s.depth for s in self.stages[:stage])

    def stage_of_boundary(self, boundary: int) -> int:
        """Stage whose layout the tensor at flat ``boundary`` has (boundary 0: stage 0)."""
        for i in range(len(self.stages)):
            if boundary <= self.stage_offset(i + 1):
                return i
        raise ValueError(f'boundary: {boundary} beyond the anchor depth {self.depth}')

    @property
    def built_size(self) -> tuple[int, int] | None:
        """(H, W) the anchor was built or configured for: its patch embedding's ``img_size``, else the
        config's ``img_size``; ``None`` for a model that takes any size and was given none."""
        img_size = getattr(getattr(self.model, 'patch_embed', None), 'img_size', None)
        return tuple(img_size) if img_size is not None else self.configured_size

    @property
    def input_size(self) -> tuple[int, int]:
        """``built_size``, else the input size of timm's pretrained config (224 x 224 for ImageNet models)."""
        if self.built_size is not None:
            return self.built_size
        size = (getattr(self.model, 'pretrained_cfg', None) or {}).get('input_size', (3, 224, 224))
        return (int(size[-2]), int(size[-1]))

    def output_norm(self, stage: int) -> nn.Module | None:
        """Norm the OpenMMLab backbone of this family applies to ``stage``'s dense output before
        the neck (``None``: none), freshly initialised."""
        return None

    def compat_facts(self) -> dict[str, Any]:
        """Facts two anchors of this family must share (beyond stage count and strides)."""
        return {}

    # ------------------------------------------------------------ computation
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Image batch (N, 3, H, W) -> input of block 0."""
        raise NotImplementedError

    def head(self, x: torch.Tensor) -> torch.Tensor:
        """Output of the last block -> logits (final norm, pooling, classifier)."""
        raise NotImplementedError

    def tail_modules(self) -> list[nn.Module]:
        """Modules used only by ``head`` (for parameter counts and export pruning)."""
        raise NotImplementedError

    def prune_memo(self, *, keep_embed: bool, keep_head: bool) -> dict[int, Any]:
        """``copy.deepcopy`` memo that drops the blocks (and the embedding / head if unused)."""
        raise NotImplementedError

    def grid_size(self, image_hw: tuple[int, int], stage: int = 0) -> tuple[int, int]:
        """Map size at ``stage`` for an input of ``image_hw`` pixels (padded up)."""
        s = self.stages[stage].stride
        return (-(-image_hw[0] // s), -(-image_hw[1] // s))

    @property
    def num_prefix_tokens(self) -> int:
        return 0


def stage_units(stage_modules: Sequence[nn.Module]) -> tuple[nn.Module, ...]:
    """Blocks of timm stages that downsample at their start (``stage.downsample`` then
    ``stage.blocks``), with each downsampling folded into block 0 of its stage."""
    units: list[nn.Module] = []
    for stage in stage_modules:
        first = stage.blocks[0]
        if not isinstance(stage.downsample, nn.Identity):
            first = nn.Sequential(stage.downsample, first)
        units += [first, *stage.blocks[1:]]
    return tuple(units)


def stages_of(stage_modules: Sequence[nn.Module], feature_info: Sequence[Mapping[str, Any]],
              layout: str) -> tuple[Stage, ...]:
    """``Stage`` descriptions of timm stages with ``blocks``, widths and strides from ``feature_info``."""
    return tuple(Stage(depth=len(stage.blocks), width=info['num_chs'], stride=info['reduction'], layout=layout)
                 for stage, info in zip(stage_modules, feature_info))


def channels_last(x: torch.Tensor, layout: str) -> torch.Tensor:
    """Move channels to the last dimension (tokens and NHWC already have them there)."""
    return x.permute(0, 2, 3, 1) if layout == 'nchw' else x


def from_channels_last(x: torch.Tensor, layout: str) -> torch.Tensor:
    """Inverse of ``channels_last`` for maps (tokens keep their shape)."""
    return x.permute(0, 3, 1, 2) if layout == 'nchw' else x


def to_nchw(x: torch.Tensor, layout: str, grid: tuple[int, int], num_prefix: int) -> torch.Tensor:
    """A boundary tensor of ``layout`` as a contiguous NCHW map (prefix tokens dropped)."""
    if layout == 'tokens':
        n, _, c = x.shape
        return x[:, num_prefix:].reshape(n, grid[0], grid[1], c).permute(0, 3, 1, 2).contiguous()
    if layout == 'nhwc':
        return x.permute(0, 3, 1, 2).contiguous()
    return x


def tokens_to_maps(tokens: Sequence[torch.Tensor], grid: tuple[int, int], num_prefix: int,
                   with_cls_token: bool) -> list[Any]:
    """Token sequences -> NCHW maps (optionally paired with the class token)."""
    outs = []
    for x in tokens:
        n, _, c = x.shape
        fmap = x[:, num_prefix:].reshape(n, grid[0], grid[1], c).permute(0, 3, 1, 2).contiguous()
        outs.append((fmap, x[:, 0]) if with_cls_token else fmap)
    return outs


def stage_maps(feats: Sequence[torch.Tensor], layouts: Sequence[str], norms: nn.ModuleList | None) -> list[torch.Tensor]:
    """Tapped stage outputs -> NCHW maps, each through its output norm (channels last) if any."""
    if norms is not None:
        feats = [from_channels_last(norm(channels_last(x, layout)), layout)
                 for x, layout, norm in zip(feats, layouts, norms)]
    return [to_nchw(x, layout, (0, 0), 0) for x, layout in zip(feats, layouts)]
