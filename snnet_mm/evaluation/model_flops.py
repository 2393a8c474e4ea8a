"""Whole-model FLOPs and params of every stitch of a built OpenMMLab model.

FLOPs are those of ``model(inputs, mode='tensor')`` for one image: backbone, neck and the
heads that forward runs (mmseg decode head, mmdet RPN + RoI heads, mmpretrain head; auxiliary
heads are not run and not counted), by the fvcore rules of ``snnet_mm.stitching.flops``.

Counting runs on the meta device (no memory, no weights): the backbone's per-stitch cost
comes from its component costs, and the rest of the model is counted once per distinct shape
of the backbone's outputs (dense outputs have the same shapes for every stitch, so it is one
count; the shapes are checked on one stitch of every kind and end anchor). Two-stage
detectors are counted at the RPN's full test-time proposal budget (``test_cfg.rpn.max_per_img``
boxes per image; the mask head on the first 100, as mmdet's tensor forward does); the RoI
feature extraction itself counts 0, as in fvcore.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

from ..engine import find_stitched_backbone
from ..models.wrapped import unwrap_model
from ..stitching.cost import _to_hw, stitch_costs
from ..stitching.flops import FlopCounter, meta_copy


@dataclass(frozen=True)
class ModelCost:
    """Whole-model FLOPs, the backbone's FLOPs and whole-model params of one stitch."""

    flops: int
    backbone_flops: int
    params: int


def model_costs(model: nn.Module, input_size: int | tuple[int, int], *,
                progress: Callable[[int, int], None] | None = None) -> list[ModelCost]:
    """FLOPs and params of ``model`` with each stitch of its ``SNNetv2`` backbone.

    Args:
        model: A built mmseg / mmdet / mmpretrain model (real or meta tensors).
        input_size: Input height and width (an int for square inputs).
        progress: Called as ``progress(k, n)`` after the k-th of n stitches is counted.

    Returns:
        One ``ModelCost`` per stitch, in stitch order.
    """
    backbone = find_stitched_backbone(model)
    hw = _to_hw(input_size)
    meta = meta_copy(unwrap_model(model))
    meta_backbone = find_stitched_backbone(meta)
    inputs = torch.empty(1, 3, *hw, device='meta')
    samples = _data_samples(meta, hw)
    _stub_value_dependent_heads(meta)
    rest: dict[Any, tuple[int, int, frozenset[int]]] = {}
    signature_of = _output_signatures(meta_backbone, inputs)
    costs = []
    for index in range(backbone.num_stitches):
        signature, outputs = signature_of(index)
        if signature not in rest:
            rest[signature] = _count_rest(meta, meta_backbone, inputs, samples, outputs)
        flops, params, used = rest[signature]
        used = used if backbone.net.output == 'features' else None
        cost = stitch_costs(backbone.net, hw, output=backbone.net.output, used_outputs=used)[index]
        costs.append(ModelCost(flops=cost.flops + flops, backbone_flops=cost.flops, params=cost.params + params))
        if progress is not None:
            progress(index + 1, backbone.num_stitches)
    return costs


def _signature(out: Any) -> Any:
    if isinstance(out, torch.Tensor):
        return tuple(out.shape), out.dtype
    return tuple(_signature(o) for o in out)


def _output_signatures(backbone: nn.Module, inputs: torch.Tensor):
    """``index -> (shape signature, meta outputs)``: outputs run once per kind and end anchors.

    Stitches of one kind and one pair of first / last anchors produce outputs of one shape
    (dense outputs all have the large anchor's width); a difference between such groups
    shows up as a second signature, counted on its own.
    """
    runs: dict[Any, tuple[Any, Any]] = {}

    def signature_of(index: int) -> tuple[Any, Any]:
        stitch = backbone.stitches[index]
        key = (stitch.kind, stitch.first_anchor, stitch.last_anchor)
        if key not in runs:
            backbone.set_stitch(index)
            with torch.no_grad():
                out = backbone(inputs)
            runs[key] = (_signature(out), out)
        return runs[key]

    return signature_of


class _Reads(TorchDispatchMode):
    """Records which of ``tensors`` any op reads."""

    def __init__(self, tensors: list[torch.Tensor]) -> None:
        super().__init__()
        self.ids = {id(t): i for i, t in enumerate(tensors)}
        self.read: set[int] = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        for a in torch.utils._pytree.tree_leaves((args, kwargs or {})):
            if id(a) in self.ids:
                self.read.add(self.ids[id(a)])
        return func(*args, **(kwargs or {}))


def _count_rest(meta: nn.Module, backbone: nn.Module, inputs: torch.Tensor, samples: Any,
                outputs: Any) -> tuple[int, int, frozenset[int]]:
    """FLOPs and params of everything but the backbone, and which backbone outputs it reads.

    fvcore traces a graph, whose unused values (a dense output no head reads) it never counts;
    the backbone's projections for such outputs are left out the same way.
    """
    called: list[nn.Module] = []
    hooks = [m.register_forward_pre_hook(lambda mod, args: called.append(mod))
             for m in meta.modules() if m is not backbone]
    backbone.forward = lambda *args, **kwargs: outputs  # the backbone's cost is counted per stitch
    slots = [o if isinstance(o, torch.Tensor) else tuple(o) for o in outputs]
    flat = [(i, t) for i, o in enumerate(slots) for t in (o if isinstance(o, tuple) else (o,))]
    reads = _Reads([t for _, t in flat])
    try:
        with torch.no_grad(), FlopCounter() as counter, reads:
            meta(inputs, samples, mode='tensor')
    finally:
        del backbone.forward
        for h in hooks:
            h.remove()
    inside = {id(p) for p in backbone.parameters()}
    params = {id(p): p.numel() for m in called for p in m.parameters(recurse=False) if id(p) not in inside}
    used = frozenset(flat[k][0] for k in reads.read)
    return counter.flops, sum(params.values()), used


def _data_samples(model: nn.Module, hw: tuple[int, int]) -> Any:
    """Data samples ``mode='tensor'`` needs: image metas for detectors, nothing otherwise."""
    if not type(model).__module__.startswith('mmdet'):
        return None
    from mmdet.structures import DetDataSample  # noqa: PLC0415 - only detectors need mmdet
    return [DetDataSample(metainfo=dict(img_shape=hw, pad_shape=hw, batch_input_shape=hw, ori_shape=hw,
                                        scale_factor=(1.0, 1.0)))]


def _stub_value_dependent_heads(model: nn.Module) -> None:
    """Replace proposal NMS and RoI feature extraction (data-dependent) by their output shapes."""
    rpn, roi = getattr(model, 'rpn_head', None), getattr(model, 'roi_head', None)
    if rpn is None or roi is None:
        return
    num = int(rpn.test_cfg['max_per_img'])

    def predict(x, batch_data_samples, rescale=False):
        rpn(x)
        return [_instances(x[0].new_zeros(num, 4)) for _ in batch_data_samples]

    rpn.predict = predict
    for name in ('bbox_roi_extractor', 'mask_roi_extractor'):
        extractor = getattr(roi, name, None)
        if extractor is not None:
            extractor.forward = _roi_features(extractor)


def _instances(bboxes: torch.Tensor) -> Any:
    from mmengine.structures import InstanceData  # noqa: PLC0415
    return InstanceData(bboxes=bboxes)


def _roi_features(extractor: nn.Module):
    def forward(feats, rois, roi_scale_factor=None):
        return feats[0].new_zeros(rois.size(0), extractor.out_channels, *extractor.roi_layers[0].output_size)
    return forward


def build_meta_model(cfg: Any) -> nn.Module:
    """The config's model on the meta device (structure only: no weights read or allocated)."""
    import importlib  # noqa: PLC0415

    scope = cfg.get('default_scope') or 'mmengine'
    if scope != 'mmengine':
        importlib.import_module(f'{scope}.utils').register_all_modules()
    registry = importlib.import_module(f'{scope}.registry').MODELS
    model_cfg = cfg.model.copy()
    backbone = model_cfg.backbone
    backbone.anchors = [a if isinstance(a, str) else {**a, 'checkpoint': None} for a in backbone.anchors]
    if isinstance(model_cfg.get('teacher'), dict):  # a distillation teacher: not run at test time
        model_cfg.teacher = {**model_cfg.teacher, 'checkpoint': None, 'pretrained': False}
    with torch.device('meta'):
        return registry.build(model_cfg).eval()


def default_input_size(cfg: Any) -> tuple[int, int]:
    """The input (height, width) a config tests at: its sliding-window crop, its test pipeline's
    centre crop or fixed resize, its data preprocessor's crop size, its keep-ratio resize (the
    largest landscape image it makes), or the anchors' image size; padded to the preprocessor's
    ``pad_size_divisor``.
    """
    model = cfg.model
    test_cfg = model.get('test_cfg') or {}
    if test_cfg.get('mode') in ('slide', 'slide_flip') and test_cfg.get('crop_size'):
        return _to_hw(tuple(test_cfg['crop_size']))
    size = largest = None
    for step in _test_pipeline(cfg):
        kind = step.get('type', '')
        if 'CenterCrop' in kind and step.get('crop_size') is not None:
            crop = step['crop_size']
            size = (crop, crop) if isinstance(crop, int) else (crop[1], crop[0])
        elif kind.endswith('Resize') and step.get('scale') is not None:
            scale = step['scale']
            scale = (scale, scale) if isinstance(scale, int) else tuple(scale)
            if not step.get('keep_ratio', False) or scale[0] == scale[1]:
                size = (scale[1], scale[0])
            else:  # the largest (landscape) image a keep-ratio resize makes, e.g. 800x1333
                largest = (min(scale), max(scale))
    preprocessor = model.get('data_preprocessor') or {}
    if size is None and preprocessor.get('size'):
        size = tuple(preprocessor['size'])
    size = size or largest
    if size is None:
        anchor = model.backbone.anchors[-1]
        size = anchor.get('img_size', 224) if isinstance(anchor, dict) else 224
    size = _to_hw(size)
    divisor = preprocessor.get('pad_size_divisor') or 1  # batches are padded to it (mmdet)
    return tuple(-(-v // divisor) * divisor for v in size)


def _test_pipeline(cfg: Any) -> list[dict]:
    if cfg.get('test_pipeline'):
        return list(cfg.test_pipeline)
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    while 'pipeline' not in dataset and isinstance(dataset.get('dataset'), dict):
        dataset = dataset['dataset']
    return list(dataset.get('pipeline') or [])
