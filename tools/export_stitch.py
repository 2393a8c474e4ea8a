"""Export one stitch of a trained SN-Netv2 model as a plain single-path model for deployment.

    python tools/export_stitch.py CONFIG CHECKPOINT --stitch 'S[0:2] -> L[4:24]' --out DIR
    python <mmseg|mmdet|mmpretrain>/.mim/tools/test.py DIR/config.py DIR/stitch.pth

DIR/config.py is the task config with an ``SNNetv2Stitch`` backbone (only the stitch's blocks and
stitching layers, low-rank updates merged), no stitch sampling hook and the upstream loops;
DIR/stitch.pth holds the whole model's weights. ``--stitch`` is an index or a route as printed.
The exported backbone is checked against the stitched one (outputs and parameter count) before
anything is written; DIR appears only when the export succeeded.
"""
from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from snnet_mm.models import SNNetv2
from snnet_mm.stitching.selection import resolve_stitch, stitch_argument

FAMILY_KEYS = ('anchors', 'out_indices', 'mode', 'kinds', 'selected', 'with_cls_token', 'dynamic_img_size')
STITCH_LOOPS = {'StitchValLoop': 'ValLoop'}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--stitch', required=True, help="stitch index or route, e.g. 'S[0:2] -> L[4:24]'")
    parser.add_argument('--out', required=True, help='output directory (must not exist or be empty)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def build_model(cfg: Config) -> torch.nn.Module:
    """The config's model, built in its task's registry (as the upstream tools do)."""
    scope = cfg.get('default_scope') or 'mmengine'
    if scope != 'mmengine':
        importlib.import_module(f'{scope}.utils').register_all_modules(init_default_scope=False)
    init_default_scope(scope)
    return importlib.import_module(f'{scope}.registry').MODELS.build(cfg.model)


def exported_config(cfg: Config, route: str) -> Config:
    """``cfg`` with the single-stitch backbone, without the stitch hook and stitch loops."""
    cfg = Config(cfg.to_dict())
    family = {k: v for k, v in cfg.model.backbone.items() if k in FAMILY_KEYS}
    family['anchors'] = [{k: v for k, v in a.items() if k != 'checkpoint'} if isinstance(a, dict) else a
                         for a in family['anchors']]
    cfg.model.backbone = dict(type='SNNetv2Stitch', route=route, **family)
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', []) if h.get('type') != 'StitchSamplingHook']
    for loop in ('val_cfg', 'test_cfg'):
        if cfg.get(loop) and cfg[loop].get('type') in STITCH_LOOPS:
            cfg[loop] = dict(type=STITCH_LOOPS[cfg[loop]['type']])
    cfg.load_from = None
    return cfg


def check_equal(stitched: SNNetv2, exported: torch.nn.Module, index: int) -> float:
    """Largest output difference between the stitched backbone at ``index`` and the export."""
    x = torch.randn(2, 3, *stitched.net.input_size)
    stitched.set_stitch(index)
    with torch.no_grad():
        outs = [stitched.eval()(x), exported.eval()(x)]
    flat = [torch.cat([t.flatten() for o in out for t in (o if isinstance(o, (tuple, list)) else (o,))])
            for out in outs]
    return float((flat[0] - flat[1]).abs().max())


def export(args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f'--out: {str(out)!r} exists and is not an empty directory')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = build_model(cfg)
    if not isinstance(getattr(model, 'backbone', None), SNNetv2):
        raise ValueError(f'config: model.backbone is not an SNNetv2 backbone in {args.config!r}')
    stitched = model.backbone
    index = resolve_stitch(stitch_argument(args.stitch), stitched.stitches, field_name='--stitch')
    route = stitched.stitches[index].route
    meta = load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True).get('meta') or {}

    new_cfg = exported_config(cfg, route)
    new_model = build_model(new_cfg)
    state = {k: v for k, v in model.state_dict().items() if not k.startswith('backbone.')}
    state.update({f'backbone.stitch.{k}': v for k, v in stitched.export_stitch(index).state_dict().items()})
    new_model.load_state_dict(state, strict=True)

    hw = stitched.net.input_size
    params = sum(p.numel() for p in new_model.backbone.parameters())
    expected = stitched.stitch_costs(hw)[index].params
    if params != expected:
        raise AssertionError(f'exported backbone has {params} parameters, the stitch {expected}')
    max_diff = check_equal(stitched, new_model.backbone, index)
    if max_diff > 1e-4:
        raise AssertionError(f'exported backbone differs from stitch {index} by {max_diff:.3g}')

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f'.{out.name}.', dir=out.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private (0700); DIR follows the umask like any output
        new_cfg.dump(str(tmp / 'config.py'))
        meta = dict(meta, exported_stitch=dict(index=index, route=route, source=str(args.checkpoint)))
        torch.save(dict(state_dict=new_model.state_dict(), meta=meta), tmp / 'stitch.pth')
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dict(index=index, route=route, params=params, stitch_params=expected, max_diff=max_diff,
                config=str(out / 'config.py'), checkpoint=str(out / 'stitch.pth'))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def main(argv: list[str] | None = None) -> dict[str, Any]:
    result = export(parse_args(argv))
    print(f'stitch {result["index"]} ({result["route"]}): {result["params"]} backbone parameters '
          f'(stitch params {result["stitch_params"]}), max output difference {result["max_diff"]:.2e}\n'
          f'wrote {result["config"]} and {result["checkpoint"]}')
    return result


if __name__ == '__main__':
    try:
        main()
    except ValueError as exc:  # a bad input: its message, without a traceback
        sys.exit(f'export_stitch.py: error: {exc}')
