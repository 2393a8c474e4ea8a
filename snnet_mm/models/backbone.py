"""``SNNetv2``: the stitched ViT as an MMEngine backbone (registered in the root registry)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import torch
from mmengine.model import BaseModule
from mmengine.logging import MMLogger
from mmengine.registry import MODELS
from mmengine.runner.checkpoint import CheckpointLoader

from ..stitching.selection import pick_within_gflops, resolve_stitch
from ..stitching.stitch import KINDS, Stitch
from ..stitching.sweep_records import pick_from_results

if TYPE_CHECKING:
    from ..stitching import StitchCost
    from ..stitching.export import ExportedStitch


def _read_uri(uri: str) -> Any:
    """Any URI MMEngine's ``CheckpointLoader`` resolves (http(s), open-mmlab://, backends)."""
    return CheckpointLoader.load_checkpoint(uri, map_location='cpu')


@MODELS.register_module()
class SNNetv2(BaseModule):
    """Stitchable backbone (SN-Netv2 / SN-Net) for mmseg, mmdet and mmpretrain.

    Anchors are timm models of one supported family (ViT/DeiT/DeiT3, Swin, ResNet; see
    ``snnet_mm.stitching.families``).

    The anchors are built from timm at construction and their weights load in
    ``init_weights`` (MMEngine's runner calls it before training only), so testing, sweeps and
    inference need only the trained checkpoint. An ``init_cfg`` of type ``Pretrained`` loads
    a whole trained stitched backbone on top of the anchors.

    Args:
        anchors: Anchor configs: timm names or dicts with ``name`` and optional ``checkpoint``
            (local ``.pth/.bin/.safetensors``, any URI MMEngine's ``CheckpointLoader`` reads,
            ``'timm'`` or ``'timm:<tag>'``), ``img_size``, ``drop_path_rate``, ``model_kwargs``.
        out_indices: Plain ViTs: blocks of the most expensive anchor whose outputs are returned
            as NCHW maps (stride = patch size). Swin / ResNet: stages (maps at strides
            4/8/16/32 with the most expensive anchor's widths). ``None`` returns ``(logits,)``
            from the head of the anchor the stitch ends in.
        stitch: Stitch used outside training: an index, a route as printed
            (``'L[0:2] -> S[1:7] -> L[14:24]'``, spaces optional) or a budget
            ``dict(max_gflops=G, results=None, input_size=None)``: the most accurate stitch
            within G whole-model GFLOPs of a sweep's ``stitches.json`` when ``results`` is
            given, else the most expensive stitch within G backbone GFLOPs at ``input_size``
            (default: the anchors' ``img_size``). ``None`` selects the most expensive anchor.
        mode: ``'v2'`` (two-way SN-Netv2 stitching; for Swin and ResNet anchors inside a stage,
            our extension) or ``'v1'`` (SN-Net, small-to-large; the official Swin/ResNet space).
        stages: Swin / ResNet: stages a stitch may stay in (default: the official ones).
        kinds: Stitch kinds included in the trained space.
        selected: Optional explicit list of stitch indices to keep.
        with_cls_token: Return ``(map, class_token)`` pairs (DPT readout).
        lora_rank: Rank of the stitching layers' low-rank update (None trains full weights).
        lora_alpha: Low-rank scale numerator.
        dynamic_img_size: Accept any input size (pad to the patch size, resample position
            embeddings on the fly). Defaults to True when ``out_indices`` is given.
        init_cfg: MMEngine init config.
    """

    def __init__(
            self,
            anchors: Sequence[str | Mapping[str, Any]],
            *,
            out_indices: Sequence[int] | None = None,
            stitch: int | str | Mapping[str, Any] | None = None,
            mode: str = 'v2',
            kinds: Sequence[str] = KINDS,
            selected: Sequence[int] | None = None,
            with_cls_token: bool = False,
            lora_rank: int | None = None,
            lora_alpha: float = 1.0,
            dynamic_img_size: bool | None = None,
            stages: Sequence[int] | None = None,
            init_cfg: dict | list | None = None,
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        from ..stitching import StitchedViT  # imports timm: only when a model is built
        from ..interop import stitch_ids, v1_ids  # noqa: F401  (register 'official:N' and 'v1:N' as stitch names)
        if dynamic_img_size is None:
            dynamic_img_size = out_indices is not None
        self.net = StitchedViT(
            anchors, mode=mode, kinds=kinds, selected=selected, out_indices=out_indices,
            with_cls_token=with_cls_token, lora_rank=lora_rank, lora_alpha=lora_alpha,
            dynamic_img_size=dynamic_img_size, stages=stages, load_weights=False)
        if stitch is None:
            self.default_stitch = self.net.anchor_stitch(-1) if self._has_anchor(-1) else 0
        else:
            self.default_stitch = resolve_stitch(stitch, self.net.stitches, pick_budget=self._pick_budget)
            self._log_choice(stitch)
        self.net.set_stitch(self.default_stitch)
        # A one-pass sweep installs a SharedBackbonePass here (evaluation/one_pass.py).
        self.shared_pass = None
        # The checkpoint a training run resumes from (StitchSamplingHook sets it before the
        # runner calls init_weights): init_weights then reads no file.
        self.resume_from: str | None = None

    def init_weights(self) -> None:
        """Load the anchors' checkpoints, then apply ``init_cfg`` (e.g. a trained backbone).

        Neither is read when the run resumes (see ``resume_from``): the resume checkpoint
        holds every weight, and the anchor files need not exist any more.
        """
        logger = MMLogger.get_current_instance()
        if self.resume_from is not None and not self.is_init:
            logger.info(f'SNNetv2: anchor checkpoints and init_cfg not read: resuming from {self.resume_from}, '
                        'which holds every weight')
            self.is_init = True
            return
        if not self.is_init:
            for report in self.net.load_anchor_weights(loader=_read_uri):
                logger.info(report.describe())
        super().init_weights()

    def _input_size(self, budget: Mapping[str, Any] | None = None) -> tuple[int, int]:
        size = (budget or {}).get('input_size') or self.net.input_size
        return (size, size) if isinstance(size, int) else tuple(size)

    def _pick_budget(self, budget: Mapping[str, Any]) -> int:
        if budget.get('results') is None:
            gflops = [c.gflops for c in self.stitch_costs(self._input_size(budget))]
            return pick_within_gflops(budget['max_gflops'], gflops, self.net.stitches)
        return pick_from_results(budget['results'], budget['max_gflops'], self.net.stitches)

    def _log_choice(self, value: Any) -> None:
        hw = self._input_size(value if isinstance(value, Mapping) else None)
        cost = self.stitch_costs(hw)[self.default_stitch]
        MMLogger.get_current_instance().info(
            f'stitch={value!r} -> stitch {self.default_stitch}: {self.net.stitches[self.default_stitch].route}, '
            f'{cost.gflops:.3f} backbone GFLOPs at {hw[0]}x{hw[1]}')

    def _has_anchor(self, anchor: int) -> bool:
        try:
            self.net.anchor_stitch(anchor)
        except ValueError:
            return False
        return True

    # The stitched network's API, for tools, hooks and user code.
    @property
    def stitches(self) -> tuple[Stitch, ...]:
        return self.net.stitches

    @property
    def num_stitches(self) -> int:
        return self.net.num_stitches

    @property
    def current_stitch(self) -> int:
        return self.net.current_stitch

    def set_stitch(self, index: int) -> None:
        self.net.set_stitch(index)

    def stitch_costs(self, input_size: int | tuple[int, int]) -> list[StitchCost]:
        from ..stitching.cost import stitch_costs  # the core imports timm: on use, not on registration
        return stitch_costs(self.net, input_size)

    def export_stitch(self, index: int) -> ExportedStitch:
        from ..stitching.export import ExportedStitch
        return ExportedStitch.from_network(self.net, index)

    def init_stitching_layers(self, images: torch.Tensor, *, batch_size: int = 8,
                              rcond: float | str | None = None) -> None:
        self.net.init_stitching_layers(images, batch_size=batch_size, rcond=rcond)

    @property
    def stitching_initialised(self) -> bool:
        return self.net.stitching_initialised

    def get_layer_depth(self, param_name: str, prefix: str = '') -> tuple[int, int]:
        """``(layer id, number of layers)`` of a parameter, for layer-wise lr decay.

        The interface of mmpretrain's backbones (``LearningRateDecayOptimWrapperConstructor``,
        and snnet_mm's root ``LayerDecayOptimWrapperConstructor`` for mmseg/mmdet). The scale is
        the most expensive anchor's: embeddings 0, its block ``i`` ``i + 1``, other anchors'
        blocks at their relative depth in it, stitching layers after their jump point, the rest
        (heads, necks, parameters not under ``prefix``) last. See ``stitching/layer_depth.py``.

        Args:
            param_name: Parameter name in the whole model (e.g. ``backbone.net.anchors.0...``).
            prefix: This backbone's name prefix in the whole model (e.g. ``'backbone.'``).
        """
        from ..stitching.layer_depth import layer_depths
        cache = self.__dict__.get('_layer_depths')
        if cache is None:
            cache = self.__dict__['_layer_depths'] = layer_depths(self.net, 'net.')
        depths, num_layers = cache
        if not param_name.startswith(prefix):
            return num_layers - 1, num_layers
        return depths.get(param_name[len(prefix):], num_layers - 1), num_layers

    def forward(self, x: torch.Tensor) -> tuple[Any, ...]:
        """Dense outputs of the current stitch as a tuple, or ``(logits,)``."""
        out = self.net(x) if self.shared_pass is None else self.shared_pass(self.net, x)
        return tuple(out) if isinstance(out, list) else (out,)
