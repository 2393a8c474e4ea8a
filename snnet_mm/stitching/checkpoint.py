"""Anchor weights: where they come from and how they are checked and loaded.

A source is one of
  - a local timm state dict (``.pth``, ``.bin`` or ``.safetensors``);
  - a URI (``http(s)://`` and, through an injected ``loader``, any scheme a framework
    resolves, e.g. MMEngine's ``CheckpointLoader`` prefixes);
  - ``'timm'`` or ``'timm:<tag>'`` / ``'timm:<model>.<tag>'``: timm's own pretrained weights
    (hub, URL cache, or the ``pretrained_cfg_overlay=dict(file=...)`` override).

Files are read under the loading policy of ``safe_load`` (``weights_only=True``, benign types
only); a file that is not a state dict, or one of another architecture, is a ``ValueError``
naming the field, the source and the first bad key.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import timm
import torch
from timm.models.vision_transformer import VisionTransformer
from torch import nn

from . import safe_load
from .families import adapter_for

logger = logging.getLogger('snnet_mm')

# A URI -> the loaded checkpoint object (a state dict, or a dict holding one).
Loader = Callable[[str], Any]

TIMM = 'timm'
_HEAD_KEYS = frozenset({'head.weight', 'head.bias'})
# The family's filter resamples these to the model's grid / window (matched on the last name).
_RESAMPLED = frozenset({'pos_embed', 'relative_position_bias_table', 'relative_position_index'})
# Relative position bias tables (SN-Netv2's MAE-style anchors, relpos_vit.py) a plain DeiT3
# checkpoint lacks: they start at zero, as in the official code.
_ZERO_INIT = ('attn.relative_position_bias_table',)


@dataclass(frozen=True)
class LoadReport:
    """Where one anchor's weights came from and which keys did not match."""

    field: str
    source: str
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]

    def describe(self) -> str:
        return (f'{self.field}: loaded {self.source} (missing keys: {list(self.missing) or "none"}, '
                f'unexpected keys: {list(self.unexpected) or "none"})')


def is_timm_source(source: str) -> bool:
    return source == TIMM or source.startswith(TIMM + ':')


def is_uri(source: str) -> bool:
    return '://' in source


def load_anchor_weights(model: VisionTransformer, source: str, field_name: str, *,
                        overlay: Mapping[str, Any] | None = None, loader: Loader | None = None) -> LoadReport:
    """Load ``source`` into ``model`` (position embeddings resampled to the model's grid).

    Args:
        model: The anchor's timm ViT.
        source: Local path, URI, ``'timm'`` or ``'timm:<tag>'``.
        field_name: Config field named in errors, e.g. ``'anchors[1].checkpoint'``.
        overlay: timm ``pretrained_cfg_overlay`` applied to a timm source (e.g. ``dict(file=...)``).
        loader: Reads a URI; default: ``torch.hub`` for ``http(s)://``.

    Raises:
        ValueError: Unknown timm tag, unreadable or missing source, or a checkpoint that does
            not fit the model (first mismatched key and both shapes).
    """
    if not isinstance(source, str) or not source:
        raise ValueError(f'{field_name}: expected a path, URI or timm tag, got {source!r}')
    if is_timm_source(source):
        cfg = _timm_pretrained_cfg(model, source, field_name, overlay)
        state, where = _read_timm(model, cfg, source, field_name), f'timm {cfg["architecture"]}.{cfg["tag"]}'
    elif is_uri(source):
        state, where = _as_state_dict(_read(lambda: (loader or _read_url)(source), source, field_name),
                                      source, field_name), source
    else:
        state, where = _as_state_dict(_read_file(source, field_name), source, field_name), source
    missing, unexpected = _fit(model, state, where, field_name)
    report = LoadReport(field=field_name, source=where, missing=missing, unexpected=unexpected)
    logger.info(report.describe())
    return report


# ----------------------------------------------------------------------------- reading


def _read_file(path: str, field_name: str) -> Any:
    if not path.endswith('.safetensors'):
        return safe_load.load(path, field_name=field_name)
    if not os.path.isfile(path):
        raise ValueError(f'{field_name}: no such file {path!r}')
    from safetensors.torch import load_file
    return _read(lambda: load_file(path, device='cpu'), path, field_name)


def _read_url(uri: str) -> Any:
    if not uri.startswith(('http://', 'https://')):
        raise ValueError(f'no loader for the scheme of {uri!r} (build through SNNetv2 for MMEngine URIs)')
    return torch.hub.load_state_dict_from_url(uri, map_location='cpu', weights_only=True, progress=False)


def _read(read: Callable[[], Any], source: str, field_name: str) -> Any:
    try:
        with safe_load.allowed_globals():
            return read()
    except Exception as e:  # every reader's failure is one user-facing message
        raise safe_load.refusal(e, source, field_name) from None


def _as_state_dict(obj: Any, source: str, field_name: str) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint object (a state dict, or a dict with ``state_dict``/``model``)."""
    if isinstance(obj, Mapping):
        for key in ('state_dict', 'model'):
            if isinstance(obj.get(key), Mapping):
                obj = obj[key]
                break
    if not isinstance(obj, Mapping):
        raise ValueError(f'{field_name}: {source!r} is not a readable checkpoint (it holds a '
                         f'{type(obj).__name__}, not a state dict)')
    state = {k: v for k, v in obj.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}
    if not state:
        raise ValueError(f'{field_name}: {source!r} is not a readable checkpoint (no tensors in it)')
    return {k.removeprefix('module.'): v for k, v in state.items()}


# ----------------------------------------------------------------------------- timm


def _timm_pretrained_cfg(model: VisionTransformer, source: str, field_name: str,
                         overlay: Mapping[str, Any] | None) -> dict[str, Any]:
    """timm's pretrained config of ``'timm'`` (the model's default tag) or ``'timm:[model.]tag'``."""
    built = getattr(model, 'pretrained_cfg', None) or {}  # timm models registered elsewhere may lack it
    arch = built.get('architecture')
    tag = source[len(TIMM) + 1:]
    if '.' in tag:
        arch, tag = tag.split('.', 1)
    tag = tag or (built.get('tag') if arch == built.get('architecture') else '') or ''
    known = timm.list_pretrained(f'{arch}.*')
    if f'{arch}.{tag}' not in known:
        raise ValueError(f'{field_name}: unknown timm pretrained tag {source!r}; {arch!r} has '
                         f'{[k.split(".", 1)[1] for k in known] or "no pretrained weights"}')
    cfg = timm.models.resolve_pretrained_cfg(arch, pretrained_cfg=tag, pretrained_cfg_overlay=dict(overlay or {}))
    return cfg.to_dict()


class _Captured(Exception):
    def __init__(self, state: Any) -> None:
        super().__init__()
        self.state = state


def _read_timm(model: VisionTransformer, cfg: dict[str, Any], source: str, field_name: str) -> dict[str, torch.Tensor]:
    # timm's load_pretrained resolves and downloads the source (hub, URL cache, file override);
    # its filter hook hands the raw state dict back, so every source is checked the same way.
    def capture(state: Any, _model: nn.Module | None = None) -> Any:
        raise _Captured(state)

    where = cfg.get('file') or cfg.get('hf_hub_id') or cfg.get('url') or source
    try:
        with safe_load.allowed_globals():
            timm.models.load_pretrained(model, pretrained_cfg=cfg, num_classes=model.num_classes, filter_fn=capture)
    except _Captured as captured:
        return _as_state_dict(captured.state, where, field_name)
    except Exception as e:  # noqa: BLE001 - see _read
        raise safe_load.refusal(e, where, field_name) from None
    raise ValueError(f'{field_name}: timm loaded {where!r} without a state dict (custom loader); '
                     'give a local converted state dict instead')


# ----------------------------------------------------------------------------- fitting


def _fit(model: VisionTransformer, state: dict[str, torch.Tensor], where: str,
         field_name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    adapter = adapter_for(model, field_name)
    head_keys = frozenset(adapter.head_keys)
    _check_shapes(model, state, where, field_name, before_filter=True, head_keys=head_keys)
    try:
        state = adapter.checkpoint_filter(state, model)
    except Exception as e:  # noqa: BLE001 - a foreign layout the filter cannot adapt
        raise ValueError(f'{field_name}: {where!r} does not fit the anchor ({safe_load.reason(e)})') from None
    _check_shapes(model, state, where, field_name, before_filter=False, head_keys=head_keys)
    own = model.state_dict()
    state = {k: v for k, v in state.items() if not (k in head_keys and k in own and v.shape != own[k].shape)}
    # A final norm / classifier the anchor is built without (dense-output anchors) is not used.
    state = {k: v for k, v in state.items() if k in own or not k.startswith(('norm.', 'head.'))}
    missing, unexpected = model.load_state_dict(state, strict=False)
    zero = [k for k in missing if k.endswith(_ZERO_INIT)]
    if zero:
        logger.info('%s: %s has no relative position bias; %d tables stay zero', field_name, where, len(zero))
        missing = [k for k in missing if k not in zero]
    if set(missing) - head_keys or unexpected:
        raise ValueError(f'{field_name}: {where!r} does not match the anchor: missing keys '
                         f'{sorted(missing)[:5]}, unexpected keys {sorted(unexpected)[:5]}')
    if missing:
        logger.warning('%s: %s has no classifier head; the head stays randomly initialised', field_name, where)
    return tuple(missing), tuple(unexpected)


def _check_shapes(model: nn.Module, state: Mapping[str, torch.Tensor], where: str, field_name: str, *,
                  before_filter: bool, head_keys: frozenset[str] = _HEAD_KEYS) -> None:
    """The first key (in model order) whose shape differs, naming both shapes."""
    for key, param in model.state_dict().items():
        value = state.get(key)
        if value is None or value.shape == param.shape:
            continue
        if before_filter and key.rsplit('.', 1)[-1] in _RESAMPLED:
            continue
        if before_filter and key == 'patch_embed.proj.weight' and value.shape[:2] == param.shape[:2]:
            continue  # the filter resamples the kernel to the model's patch size
        if key in head_keys:
            continue  # another number of classes: the head stays random (reported as missing)
        raise ValueError(f'{field_name}: {where!r} does not fit the anchor: {key!r} has shape '
                         f'{tuple(value.shape)} in the checkpoint and {tuple(param.shape)} in the model')
