"""``DPTDepthHead``: DPT (Ranftl et al., 2021) regressing metric depth for mmseg's ``DepthEstimator``.

mmseg 1.2.2 ships DPT only as a segmentation head. This head reuses its building blocks
(``ReassembleBlocks``, ``FeatureFusionBlock``) and adds what depth needs: a depth output head
ending like the Depth-Estimation-Toolbox DPT that SN-Netv2 trained (``relu(x) + min_depth``),
a depth loss on valid pixels, and predictions in the format ``DepthEstimator`` and ``DepthMetric`` expect (a
``(N, 1, H, W)`` depth map in metres at the input size). It is registered in MMEngine's root
``MODELS`` registry, so ``type='DPTDepthHead'`` resolves from the mmseg scope.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
from mmcv.cnn import ConvModule
from mmengine.registry import MODELS
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.decode_heads.dpt_head import FeatureFusionBlock, ReassembleBlocks
from mmseg.models.utils import resize
from mmseg.registry import MODELS as MMSEG_MODELS
from torch import Tensor, nn

from ..utils.checks import check_int, check_number, check_one_of, is_int

NUM_LEVELS = 4  # DPT reassembles four backbone outputs (strides 4, 8, 16 and 32 after reassembly)
READOUT_TYPES = ('ignore', 'add', 'project')
ACTIVATIONS = ('sigmoid', 'relu')


class SizedFeatureFusionBlock(FeatureFusionBlock):
    """mmseg's ``FeatureFusionBlock`` upsampling to an explicit size instead of by 2.

    With patch grids of odd size the stride-32 level is rounded up; fusing to the next level's
    exact size keeps every level aligned and the output at ``grid * patch_size`` pixels. The
    submodules (and so the state dict) are those of the upstream block.
    """

    def forward(self, x: Tensor, skip: Tensor | None = None, *,
                size: Sequence[int] | None = None) -> Tensor:
        """Fuse ``skip`` into ``x``, refine, upsample to ``size`` (default 2x) and project."""
        if skip is not None:
            if skip.shape[2:] != x.shape[2:]:
                skip = resize(skip, size=x.shape[2:], mode='bilinear', align_corners=False, warning=False)
            x = x + self.res_conv_unit1(skip)
        x = self.res_conv_unit2(x)
        if size is None:
            x = resize(x, scale_factor=2, mode='bilinear', align_corners=self.align_corners)
        else:
            x = resize(x, size=tuple(size), mode='bilinear', align_corners=self.align_corners, warning=False)
        return self.project(x)


@MODELS.register_module(force=True)  # replaces the lazy entry of snnet_mm.models
class DPTDepthHead(BaseDecodeHead):
    """DPT depth head: reassemble four ViT outputs, fuse them top-down, regress depth.

    The four inputs are NCHW maps at the patch stride (``SNNetv2`` with ``out_indices`` of four
    blocks), paired with the class token when ``readout_type`` uses it (``with_cls_token=True``).
    Each is read out (``'project'``: concatenate the class token to every token and project
    back, as in DPT), projected to ``post_process_channels`` and resampled to strides 4, 8, 16
    and 32 (mmseg's ``ReassembleBlocks``); a 3x3 conv maps each to ``channels``; fusion blocks
    merge them from the coarsest level down to stride 2; the depth head (3x3 conv, 2x upsampling
    to the input size, 3x3 conv + ReLU, 1x1 conv) gives one value per pixel, mapped into
    ``[min_depth, max_depth]`` by ``activation``.

    Args:
        in_channels: Channels of the backbone outputs (ViT width): an int, or four equal ints.
        channels: Channels of the fusion path.
        post_process_channels: Channels of the four reassembled levels.
        readout_type: Class-token readout: ``'project'`` (DPT), ``'add'`` or ``'ignore'``.
        patch_size: Patch size of the backbone (its output stride).
        min_depth: Smallest predicted depth (metres), > 0.
        max_depth: Largest predicted depth (metres).
        activation: ``'relu'``: ``relu(x) + min_depth`` (the Depth-Estimation-Toolbox DPT that
            SN-Netv2 trained, ``DepthBaseDecodeHead.depth_pred``), clamped to ``max_depth`` at
            prediction as its ``encode_decode`` does; ``'sigmoid'``:
            ``min + (max - min) * sigmoid(x)``, always inside the range.
        head_channels: Channels of the last hidden layer of the depth head.
        norm_cfg: Norm layer of the fusion blocks and the final projection (``None`` as in
            DPT's depth recipe).
        act_cfg: Activation of the residual units and the depth head.
        align_corners: ``align_corners`` of the interpolations to the label/image size.
        loss_decode: Loss config(s) from mmseg's registry, called as ``loss(pred, target)`` on
            ``(N, 1, H, W)`` maps in which invalid target pixels are 0 (``SigLoss`` ignores them).
        init_cfg: MMEngine init config.

    Raises:
        ValueError: On an invalid argument, naming the field and value; in ``forward``, when the
            inputs are not four levels of ``in_channels`` channels (with class tokens when the
            readout needs them).
    """

    num_classes = 1
    out_channels = 1

    def __init__(
            self,
            *,
            in_channels: int | Sequence[int] = 1024,
            channels: int = 256,
            post_process_channels: Sequence[int] = (96, 192, 384, 768),
            readout_type: str = 'project',
            patch_size: int = 16,
            min_depth: float = 1e-3,
            max_depth: float = 10.0,
            activation: str = 'relu',
            head_channels: int = 32,
            norm_cfg: dict | None = None,
            act_cfg: dict | None = dict(type='ReLU'),
            align_corners: bool = False,
            loss_decode: dict | Sequence[dict] = dict(type='SigLoss'),
            init_cfg: dict | list | None = None,
    ) -> None:
        # BaseDecodeHead.__init__ builds a segmentation classifier (num_classes, conv_seg) that a
        # depth head does not have; like mmseg's VPDDepthHead, initialise BaseModule directly.
        super(BaseDecodeHead, self).__init__(init_cfg=init_cfg)
        width = _check_in_channels(in_channels)
        check_int(channels, 'channels', minimum=2)
        check_int(head_channels, 'head_channels', minimum=1)
        check_int(patch_size, 'patch_size', minimum=1)
        post_process_channels = _check_levels(post_process_channels)
        check_one_of(readout_type, 'readout_type', READOUT_TYPES)
        check_one_of(activation, 'activation', ACTIVATIONS)
        check_number(min_depth, 'min_depth', low=0, low_open=True, finite=True)
        check_number(max_depth, 'max_depth', low=min_depth, low_open=True, finite=True, low_name='min_depth')

        self.in_channels = [width] * NUM_LEVELS
        self.channels = channels
        self.readout_type = readout_type
        self.patch_size = patch_size
        self.min_depth = float(min_depth)
        self.max_depth = float(max_depth)
        self.activation = activation
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        self.align_corners = align_corners
        self.input_transform = 'multiple_select'
        self.in_index = list(range(NUM_LEVELS))

        self.reassemble_blocks = ReassembleBlocks(width, list(post_process_channels), readout_type, patch_size)
        self.convs = nn.ModuleList(
            ConvModule(c, channels, kernel_size=3, padding=1, act_cfg=None, bias=False)
            for c in post_process_channels)
        self.fusion_blocks = nn.ModuleList(
            SizedFeatureFusionBlock(channels, act_cfg, norm_cfg) for _ in range(NUM_LEVELS))
        self.fusion_blocks[0].res_conv_unit1 = None  # the coarsest level has nothing to fuse
        self.project = ConvModule(channels, channels, kernel_size=3, padding=1, norm_cfg=norm_cfg)
        # Depth head of DPT: 3x3 conv, 2x upsampling (to grid * patch_size), 3x3 conv + act, 1x1.
        self.depth_conv = nn.Conv2d(channels, channels // 2, kernel_size=3, padding=1)
        self.depth_hidden = ConvModule(channels // 2, head_channels, kernel_size=3, padding=1, act_cfg=act_cfg)
        self.depth_pred = nn.Conv2d(head_channels, 1, kernel_size=1)

        losses = [loss_decode] if isinstance(loss_decode, dict) else list(loss_decode)
        if not losses or not all(isinstance(c, dict) for c in losses):
            raise ValueError(f'loss_decode: expected a loss config dict or a list of them, got {loss_decode!r}')
        built = [MMSEG_MODELS.build(c) for c in losses]
        self.loss_decode = built[0] if isinstance(loss_decode, dict) else nn.ModuleList(built)

    def extra_repr(self) -> str:
        return (f'readout_type={self.readout_type!r}, depth=[{self.min_depth}, {self.max_depth}], '
                f'activation={self.activation!r}, align_corners={self.align_corners}')

    # ------------------------------------------------------------------ forward
    def forward(self, inputs: Sequence[Any]) -> Tensor:
        """Depth map ``(N, 1, grid_h * patch_size, grid_w * patch_size)`` in metres.

        Args:
            inputs: Four backbone outputs, each an ``(N, C, h, w)`` map or a ``(map, class
                token (N, C))`` pair (pairs are required unless ``readout_type='ignore'``).
        """
        levels = self._check_inputs(inputs)
        grid = levels[2][0].shape[2:]  # the stride-16 level keeps the patch grid
        x = self.reassemble_blocks(levels)
        x = [conv(feature) for conv, feature in zip(self.convs, x)]
        out = self.fusion_blocks[0](x[-1], size=x[-2].shape[2:])
        for i in range(1, NUM_LEVELS):
            target = x[-(i + 2)].shape[2:] if i < NUM_LEVELS - 1 else [2 * s for s in x[0].shape[2:]]
            out = self.fusion_blocks[i](out, x[-(i + 1)], size=target)
        out = self.project(out)
        out = self.depth_conv(out)
        out = resize(out, size=(grid[0] * self.patch_size, grid[1] * self.patch_size), mode='bilinear',
                     align_corners=True, warning=False)
        out = self.depth_pred(self.depth_hidden(out))
        if self.activation == 'sigmoid':
            return self.min_depth + (self.max_depth - self.min_depth) * torch.sigmoid(out)
        return torch.relu(out) + self.min_depth

    def _check_inputs(self, inputs: Sequence[Any]) -> list[tuple[Tensor, Tensor | None]]:
        """The inputs as ``(map, class token or None)`` pairs, validated."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) != NUM_LEVELS:
            got = f'{len(inputs)} levels' if isinstance(inputs, (list, tuple)) else type(inputs).__name__
            raise ValueError(f'inputs: expected {NUM_LEVELS} feature levels (a backbone with four '
                             f'out_indices), got {got}')
        width = self.in_channels[0]
        levels = []
        for i, level in enumerate(inputs):
            if isinstance(level, Tensor):
                if self.readout_type != 'ignore':
                    raise ValueError(f'inputs[{i}]: readout_type={self.readout_type!r} needs (map, class_token) '
                                     'pairs (build the backbone with with_cls_token=True), got a tensor')
                fmap, token = level, None
            elif isinstance(level, (list, tuple)) and len(level) == 2:
                fmap, token = level
            else:
                raise ValueError(f'inputs[{i}]: expected an NCHW tensor or a (map, class_token) pair, '
                                 f'got {type(level).__name__}')
            if not isinstance(fmap, Tensor) or fmap.dim() != 4:
                raise ValueError(f'inputs[{i}]: expected an NCHW feature map, got '
                                 f'{tuple(fmap.shape) if isinstance(fmap, Tensor) else type(fmap).__name__}')
            if fmap.shape[1] != width:
                raise ValueError(f'inputs[{i}]: expected {width} channels (in_channels), got {fmap.shape[1]} '
                                 f'(map of shape {tuple(fmap.shape)})')
            if self.readout_type != 'ignore' and (
                    not isinstance(token, Tensor) or tuple(token.shape) != (fmap.shape[0], width)):
                shape = tuple(token.shape) if isinstance(token, Tensor) else type(token).__name__
                raise ValueError(f'inputs[{i}]: expected a class token of shape ({fmap.shape[0]}, {width}), '
                                 f'got {shape}')
            levels.append((fmap, token))
        return levels

    # ------------------------------------------------------------------ loss / predict
    def _fit(self, depth: Tensor, size: Sequence[int]) -> Tensor:
        """``depth`` at ``size``: crop the backbone's padding to the patch size, else resize."""
        h, w = int(size[0]), int(size[1])
        height, width = depth.shape[2:]
        if 0 <= height - h < self.patch_size and 0 <= width - w < self.patch_size:
            depth = depth[:, :, :h, :w]  # timm pads inputs at the bottom and the right
        if depth.shape[2:] != (h, w):
            depth = resize(depth, size=(h, w), mode='bilinear', align_corners=self.align_corners, warning=False)
        return depth

    def _stack_batch_gt(self, batch_data_samples) -> Tensor:
        return torch.stack([sample.gt_depth_map.data for sample in batch_data_samples], dim=0)

    def loss_by_feat(self, pred_depth_map: Tensor, batch_data_samples) -> dict[str, Tensor]:
        """Losses between the predicted depth and ``gt_depth_map`` (pixels outside
        ``[min_depth, max_depth]``, e.g. 0 = no measurement or padding, are ignored)."""
        gt = self._stack_batch_gt(batch_data_samples).to(pred_depth_map)
        pred = self._fit(pred_depth_map, gt.shape[2:])
        gt = torch.where((gt >= self.min_depth) & (gt <= self.max_depth), gt, torch.zeros_like(gt))
        losses: dict[str, Tensor] = {}
        modules = self.loss_decode if isinstance(self.loss_decode, nn.ModuleList) else [self.loss_decode]
        for module in modules:
            value = module(pred, gt)
            losses[module.loss_name] = losses[module.loss_name] + value if module.loss_name in losses else value
        return losses

    def predict_by_feat(self, pred_depth_map: Tensor, batch_img_metas: list[dict]) -> Tensor:
        """Depth at the (padded) input size, in ``[min_depth, max_depth]``."""
        meta = batch_img_metas[0]
        if isinstance(meta['img_shape'], torch.Size):  # sliding-window inference: the crop
            size = meta['img_shape']
        elif 'pad_shape' in meta:
            size = meta['pad_shape'][:2]
        else:
            size = meta['img_shape']
        depth = self._fit(pred_depth_map, size)
        return depth.clamp(self.min_depth, self.max_depth)


def _check_in_channels(in_channels: int | Sequence[int]) -> int:
    if is_int(in_channels):
        check_int(in_channels, 'in_channels', minimum=1)
        return in_channels
    if (not isinstance(in_channels, (list, tuple)) or len(in_channels) != NUM_LEVELS
            or len(set(in_channels)) != 1):
        raise ValueError(f'in_channels: expected an int or {NUM_LEVELS} equal ints (one ViT width), '
                         f'got {in_channels!r}')
    check_int(in_channels[0], 'in_channels', minimum=1)
    return int(in_channels[0])


def _check_levels(post_process_channels: Sequence[int]) -> tuple[int, ...]:
    if not isinstance(post_process_channels, (list, tuple)) or len(post_process_channels) != NUM_LEVELS:
        raise ValueError(f'post_process_channels: expected {NUM_LEVELS} ints, got {post_process_channels!r}')
    for c in post_process_channels:
        check_int(c, 'post_process_channels', minimum=1)
    return tuple(int(c) for c in post_process_channels)
