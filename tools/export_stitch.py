"""Export one stitch of a trained SN-Netv2 model for deployment: PyTorch, or ONNX checked in onnxruntime.

    python tools/export_stitch.py CONFIG CHECKPOINT --stitch 'S[0:2] -> L[4:24]' --out DIR
    python <mmseg|mmdet|mmpretrain>/.mim/tools/test.py DIR/config.py DIR/stitch.pth
    python tools/export_stitch.py CONFIG CHECKPOINT --format onnx --stitch 3 --out DIR
    python tools/export_stitch.py CONFIG CHECKPOINT --format onnx --stitch front --results stitches.json --out DIR
    python tools/run_onnx.py DIR IMAGE --max-latency-ms 20

``--format pytorch`` (default): DIR/config.py is the task config with an ``SNNetv2Stitch`` backbone
(only the stitch's blocks and stitching layers, low-rank updates merged), no stitch sampling hook
and the upstream loops; DIR/stitch.pth holds the whole model's weights. ``--stitch`` is an index
or a route as printed. The exported backbone is checked against the stitched one (outputs and
parameter count) before anything is written; DIR appears only when the export succeeded.

``--format onnx``: DIR/stitch.onnx takes float32 RGB images in 0..255 (NCHW, normalisation inside)
with a dynamic batch, at ``--input-size H W`` (default: the config's test size) or any size with
``--dynamic-size``, and returns the task's tensors (see ``snnet_mm.onnx_export.task_graph``;
Mask R-CNN: backbone and neck). onnxruntime runs the file before anything is written and the
export is refused when its outputs differ from PyTorch's by more than 1e-4 relative;
DIR/stitch.json holds the measured error. ``--stitch front --results stitches.json`` exports every
Pareto stitch of that sweep of this checkpoint into one bundle: ``stitch_<index>.onnx`` files and
``manifest.json`` (route, index, official id, GFLOPs, params, the sweep's metric, onnxruntime
latency at batch 1 on this machine, file name and SHA-256), which ``snnet_mm.deploy`` reads
without PyTorch.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from snnet_mm.models import SNNetv2
from snnet_mm.stitching.selection import resolve_stitch, stitch_argument

FAMILY_KEYS = ('anchors', 'out_indices', 'mode', 'kinds', 'selected', 'with_cls_token', 'dynamic_img_size')
STITCH_LOOPS = {'StitchValLoop': 'ValLoop'}
FORMATS = ('pytorch', 'onnx')


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--stitch', required=True,
                        help="stitch index or route, e.g. 'S[0:2] -> L[4:24]'; 'front' (ONNX): every Pareto stitch "
                             'of --results')
    parser.add_argument('--out', required=True, help='output directory (must not exist or be empty)')
    parser.add_argument('--format', default='pytorch', choices=FORMATS,
                        help='pytorch: config + checkpoint; onnx: ONNX file(s) checked in onnxruntime')
    parser.add_argument('--results', help='stitches.json of tools/test_stitches.py for this checkpoint '
                                           '(with --stitch front)')
    parser.add_argument('--metric', help='metric the front is drawn for (default: the sweep\'s primary metric)')
    parser.add_argument('--input-size', type=int, nargs=2, metavar=('H', 'W'),
                        help='ONNX input height and width (default: the config\'s test size)')
    parser.add_argument('--dynamic-size', action='store_true', help='ONNX: any input height and width')
    parser.add_argument('--exporter', choices=('auto', 'torchscript', 'dynamo'), default='auto',
                        help='torch.onnx exporter (auto: torchscript at a fixed size where it can, else dynamo)')
    parser.add_argument('--threads', type=int, help='onnxruntime threads for the check and the latency')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def check_args(args: argparse.Namespace) -> None:
    """Refuse inconsistent options before any model is built (naming the option and value)."""
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f'--out: {str(out)!r} exists and is not an empty directory')
    front = args.stitch.strip() == 'front'
    onnx_only = dict(input_size=args.input_size, dynamic_size=args.dynamic_size or None,
                     exporter=None if args.exporter == 'auto' else args.exporter, threads=args.threads)
    if args.format != 'onnx':
        given = [f'--{k.replace("_", "-")}' for k, v in onnx_only.items() if v is not None]
        if front or given:
            raise ValueError(f'{"--stitch front" if front else given[0]}: exports ONNX only; add --format onnx')
    if front and not args.results:
        raise ValueError('--stitch front: needs --results stitches.json, the sweep of this checkpoint that ranks '
                         'the stitches (tools/test_stitches.py)')
    if not front and (args.results or args.metric):
        raise ValueError(f'{"--results" if args.results else "--metric"}: only read with --stitch front')
    if args.input_size and min(args.input_size) < 1:
        raise ValueError(f'--input-size: expected two positive ints, got {args.input_size}')
    if args.threads is not None and args.threads < 1:
        raise ValueError(f'--threads: expected an int >= 1, got {args.threads}')
    if args.results and not Path(args.results).is_file():
        raise ValueError(f'--results: no such file {args.results!r}')
    if args.format == 'onnx':
        from snnet_mm.deploy.runtime import INSTALL_HINT, import_onnxruntime
        import_onnxruntime()
        try:
            importlib.import_module('onnx')
        except ImportError as exc:
            raise ImportError(f'onnx is not installed ({exc}); install the deploy extra: {INSTALL_HINT}') from None


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


def load_model(args: argparse.Namespace) -> tuple[Config, torch.nn.Module, dict[str, Any]]:
    """The config (with ``--cfg-options``), its model with the checkpoint loaded, and the checkpoint's meta."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = build_model(cfg)
    if not isinstance(getattr(model, 'backbone', None), SNNetv2):
        raise ValueError(f'config: model.backbone is not an SNNetv2 backbone in {args.config!r}')
    if args.stitch.strip() != 'front':  # a bad --stitch is refused before the checkpoint is read
        resolve_stitch(stitch_argument(args.stitch), model.backbone.stitches, field_name='--stitch')
    meta = load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True).get('meta') or {}
    return cfg, model.eval(), meta


def single_stitch_model(cfg: Config, model: torch.nn.Module, index: int) -> tuple[Config, torch.nn.Module, dict]:
    """The config and model of stitch ``index`` alone, checked against the stitched backbone
    (parameter count and outputs)."""
    stitched = model.backbone
    route = stitched.stitches[index].route
    new_cfg = exported_config(cfg, route)
    new_model = build_model(new_cfg)
    state = {k: v for k, v in model.state_dict().items() if not k.startswith('backbone.')}
    state.update({f'backbone.stitch.{k}': v for k, v in stitched.export_stitch(index).state_dict().items()})
    new_model.load_state_dict(state, strict=True)
    params = sum(p.numel() for p in new_model.backbone.parameters())
    expected = stitched.stitch_costs(stitched.net.input_size)[index].params
    if params != expected:
        raise AssertionError(f'exported backbone has {params} parameters, the stitch {expected}')
    max_diff = check_equal(stitched, new_model.backbone, index)
    if max_diff > 1e-4:
        raise AssertionError(f'exported backbone differs from stitch {index} by {max_diff:.3g}')
    return new_cfg, new_model.eval(), dict(index=index, route=route, params=params, stitch_params=expected,
                                           max_diff=max_diff)


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A temporary directory beside ``out`` that becomes ``out`` only if the block succeeds."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f'.{out.name}.', dir=out.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private (0700); DIR follows the umask like any output
        yield tmp
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def export_pytorch(args: argparse.Namespace, cfg: Config, model: torch.nn.Module, meta: dict) -> dict[str, Any]:
    index = resolve_stitch(stitch_argument(args.stitch), model.backbone.stitches, field_name='--stitch')
    new_cfg, new_model, info = single_stitch_model(cfg, model, index)
    out = Path(args.out)
    with staged(out) as tmp:
        new_cfg.dump(str(tmp / 'config.py'))
        meta = dict(meta, exported_stitch=dict(index=index, route=info['route'], source=str(args.checkpoint)))
        torch.save(dict(state_dict=new_model.state_dict(), meta=meta), tmp / 'stitch.pth')
    return dict(info, config=str(out / 'config.py'), checkpoint=str(out / 'stitch.pth'))


def onnx_input_size(args: argparse.Namespace, cfg: Config, model: torch.nn.Module) -> tuple[int, int]:
    """``--input-size`` or the config's test size; a backbone of fixed size takes only its own."""
    from snnet_mm.evaluation.model_flops import default_input_size
    size = tuple(args.input_size) if args.input_size else default_input_size(cfg)
    backbone = cfg.model.backbone
    dynamic = backbone.get('dynamic_img_size')
    dynamic = backbone.get('out_indices') is not None if dynamic is None else dynamic
    fixed = tuple(model.backbone.net.input_size)
    if not dynamic and (size != fixed or args.dynamic_size):
        what = '--dynamic-size' if args.dynamic_size else f'--input-size: {size[0]} {size[1]}'
        raise ValueError(f'{what}: this backbone takes {fixed[0]}x{fixed[1]} images only (its anchors\' img_size; '
                         'model.backbone.dynamic_img_size is False)')
    return size


def dataset_classes(cfg: Config, model: torch.nn.Module) -> list[str] | None:
    """Class names of the config's test dataset (its metainfo, else its class's), if it names as
    many as the model predicts (tiny data in the ImageNet layout has 5 classes, not 1000)."""
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    while isinstance(dataset.get('dataset'), dict):
        dataset = dataset['dataset']
    classes = (dataset.get('metainfo') or {}).get('classes')
    if classes is None and isinstance(dataset.get('type'), str):
        scope = cfg.get('default_scope') or 'mmengine'
        registry = importlib.import_module(f'{scope}.registry').DATASETS
        kind = registry.get(dataset['type'])
        classes = (getattr(kind, 'METAINFO', None) or {}).get('classes')
    head = getattr(model, 'head', None) or getattr(model, 'decode_head', None)
    if not classes or getattr(head, 'num_classes', None) != len(classes):
        return None
    return list(classes)


def export_onnx(args: argparse.Namespace, cfg: Config, model: torch.nn.Module) -> dict[str, Any]:
    """One stitch (``--stitch INDEX|ROUTE``) or the front bundle (``--stitch front``) as ONNX."""
    from snnet_mm.deploy.manifest import MANIFEST, file_sha256
    from snnet_mm.deploy.runtime import cpu_session, measure_latency_ms
    from snnet_mm.evaluation.fingerprint import checkpoint_digest
    from snnet_mm.onnx_export import TaskGraph, export_checked
    from snnet_mm.onnx_export.exporter import INPUT_NAME
    from snnet_mm.onnx_export.front import bundle_entry, bundle_manifest, front_records

    stitches = model.backbone.stitches
    front = args.stitch.strip() == 'front'
    if front:
        metric, records = front_records(args.results, stitches, metric=args.metric,
                                        checkpoint_digest=checkpoint_digest(args.checkpoint))
    else:
        index = resolve_stitch(stitch_argument(args.stitch), stitches, field_name='--stitch')
        metric, records = None, [dict(index=index, route=stitches[index].route)]
    size = onnx_input_size(args, cfg, model)
    reference = TaskGraph(model).eval()
    out = Path(args.out)
    done = []
    with staged(out) as tmp:
        for record in records:
            index = record['index']
            _, single, _ = single_stitch_model(cfg, model, index)
            model.backbone.set_stitch(index)
            name = f'stitch_{index:03d}.onnx' if front else 'stitch.onnx'
            check = export_checked(TaskGraph(single).eval(), tmp / name, input_size=size,
                                   dynamic_size=args.dynamic_size, reference=reference, threads=args.threads,
                                   exporter=args.exporter)
            info = dict(index=index, route=record['route'], file=name, parity=check['parity'])
            if front:
                session = cpu_session(str(tmp / name), threads=args.threads)
                latency = measure_latency_ms(session, input_name=INPUT_NAME, size=size)
                info.update(latency_ms=latency, sha256=file_sha256(tmp / name))
                done.append(bundle_entry(record, metric, file=name, sha256=info['sha256'], latency_ms=latency,
                                         parity=check['parity']))
            print(f'stitch {index} ({record["route"]}): {name}, onnxruntime / PyTorch relative error '
                  f'{check["parity"]:.2e}' + (f', {info["latency_ms"]:.2f} ms at batch 1' if front else ''),
                  flush=True)
        export = dict(exporter=check['exporter'], opset=check['opset'], torch=torch.__version__,
                      onnxruntime=importlib.import_module('onnxruntime').__version__,
                      tolerance=1e-4, checked_sizes=check['checked_sizes'])
        source = dict(config=str(args.config), checkpoint=checkpoint_digest(args.checkpoint))
        if front:
            manifest = bundle_manifest(done, task=reference.task, metric=metric, input_size=size,
                                       dynamic_size=args.dynamic_size, output_names=check['output_names'],
                                       classes=dataset_classes(cfg, model), source=source, export=export,
                                       latency=dict(batch=1, size=list(size), threads=args.threads,
                                                    load_average=list(os.getloadavg())))
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1))
        else:
            (tmp / 'stitch.json').write_text(json.dumps(dict(
                records[0], parity=check['parity'], task=reference.task, input=dict(
                    name=INPUT_NAME, size=list(size), dynamic_size=args.dynamic_size, channels='RGB', range=[0, 255]),
                outputs=check['output_names'], source=source, export=export), indent=1))
    files = [e.file for e in done] if front else ['stitch.onnx']
    print(f'wrote {out}: ' + (f'{MANIFEST} and ' if front else 'stitch.json and ') + ', '.join(files))
    return dict(out=str(out), files=files, stitches=[e.to_json() for e in done] if front else [
        dict(records[0], parity=check['parity'])], size=list(size), exporter=check['exporter'])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    check_args(args)
    cfg, model, meta = load_model(args)
    if args.format == 'onnx':
        return export_onnx(args, cfg, model)
    result = export_pytorch(args, cfg, model, meta)
    print(f'stitch {result["index"]} ({result["route"]}): {result["params"]} backbone parameters '
          f'(stitch params {result["stitch_params"]}), max output difference {result["max_diff"]:.2e}\n'
          f'wrote {result["config"]} and {result["checkpoint"]}')
    return result


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


if __name__ == '__main__':
    try:
        main()
    except ValueError as exc:  # a bad input: its message, without a traceback
        sys.exit(f'export_stitch.py: error: {exc}')
