"""What determines a sweep's results, so that a resume never mixes results of another setting.

A fingerprint is a dict of parts: the checkpoint's content hash (not its path: a copy or a
relative path is the same checkpoint, other weights at the same path are not), the resolved
test dataloader, evaluator, test loop and model configs, the input size FLOPs are counted at,
the package versions and the device. ``difference`` names the first part (and the first key
inside it) that differs.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import types
from typing import Any, Mapping

import torch

# Runtime-only settings of a dataloader: they never change a result.
_LOADER_RUNTIME = ('num_workers', 'persistent_workers', 'pin_memory', 'prefetch_factor')
_PACKAGES = ('snnet_mm', 'torch', 'timm', 'mmengine', 'mmcv')


def checkpoint_digest(path: str) -> str:
    """``sha256:<hex>`` of a file's content, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return f'sha256:{digest.hexdigest()}'


def canonical(value: Any) -> Any:
    """A JSON value for a config value; objects by their type's name (never their address)."""
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (type, types.FunctionType)):
        return f'{value.__module__}.{value.__qualname__}'
    return f'<{type(value).__module__}.{type(value).__qualname__}>'


def _versions(scope: str | None) -> dict[str, str]:
    """Versions of the packages computing a result (the config's task package included)."""
    versions = {}
    for name in _PACKAGES + ((scope,) if scope else ()):
        try:
            versions[name] = str(importlib.import_module(name).__version__)
        except (ImportError, AttributeError):
            continue
    return versions


def _device_name(device: torch.device) -> str:
    if device.type == 'cuda':
        return f'cuda:{torch.cuda.get_device_name(device)}'
    return device.type


def sweep_fingerprint(cfg: Mapping[str, Any], *, checkpoint: str | None, input_size: tuple[int, int],
                      device: torch.device) -> dict[str, Any]:
    """The fingerprint of a sweep of ``checkpoint`` under the runner config ``cfg``."""
    model = canonical(cfg.get('model'))
    if isinstance(model, dict) and isinstance(model.get('backbone'), dict):
        model['backbone'].pop('stitch', None)  # the sweep sets the stitch itself
    loader = canonical(cfg.get('test_dataloader'))
    if isinstance(loader, dict):
        loader = {k: v for k, v in loader.items() if k not in _LOADER_RUNTIME}
    return dict(checkpoint=checkpoint_digest(checkpoint) if checkpoint else None,
                test_dataloader=loader, test_evaluator=canonical(cfg.get('test_evaluator')),
                test_cfg=canonical(cfg.get('test_cfg')), model=model, input_size=list(input_size),
                versions=_versions(cfg.get('default_scope')), device=_device_name(device))


def _first_difference(old: Any, new: Any, where: str) -> tuple[str, Any, Any]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if old.get(key, '<absent>') != new.get(key, '<absent>'):
                return _first_difference(old.get(key, '<absent>'), new.get(key, '<absent>'), f'{where}.{key}')
    nested = isinstance(old, list) and any(isinstance(v, (dict, list)) for v in old)
    if nested and isinstance(new, list) and len(old) == len(new):  # a list of numbers is shown whole
        for i, (a, b) in enumerate(zip(old, new)):
            if a != b:
                return _first_difference(a, b, f'{where}[{i}]')
    return where, old, new


def difference(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    """Every part in which two fingerprints differ, each as ``'part.key is old ..., new now'``
    (the first differing key inside the part); None if they are equal."""
    old, new = json.loads(json.dumps(old)), json.loads(json.dumps(new))
    found = []
    for part in sorted(set(old) | set(new)):
        if old.get(part, '<absent>') != new.get(part, '<absent>'):
            where, a, b = _first_difference(old.get(part, '<absent>'), new.get(part, '<absent>'), part)
            found.append(f'{where} is {json.dumps(a)[:200]} in the results file, {json.dumps(b)[:200]} now')
    return '; '.join(found) or None
