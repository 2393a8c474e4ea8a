"""Convert a published SN-Netv2 (ziplab/SN-Netv2) or SN-Net v1 (ziplab/SN-Net) checkpoint to ours and check it against a config.

    python tools/convert_official.py SRC DST --task seg|cls [--config CONFIG] [--merge-lora]
        [--report REPORT.txt] [--unsafe-load]
    python tools/convert_official.py SRC DST --from v1-deit|v1-swin|v1-resnet-swin|v1-levit
        [--config CONFIG] [--report REPORT.txt] [--unsafe-load]

Every key of SRC is mapped (or verified, or dropped with a reason) and listed; a key left over is
an error. The converted state dict is then loaded strictly into the model of CONFIG (default: the
matching config in configs/official/, chosen from the anchors' widths and the number of classes);
any missing or unexpected key is an error. DST gets the checkpoint and DST.py (without the .pth)
a config that inherits CONFIG with the converted LoRA rank, ready for upstream tools/test.py and
tools/test_stitches.py. Official stitch ids: --cfg-options model.backbone.stitch=official:29.

SRC is read safely (``weights_only=True`` with the benign types official checkpoints hold
allow-listed: docs/reliability.md); a file holding any other Python object is refused, naming
it. ``--unsafe-load`` unpickles it anyway, which runs any code the file holds: use it only for a
file from a source you trust. DST holds tensors and plain metadata only.

--from v1-*: an SN-Net v1 classifier of one of the four v1 code bases (DeiT-Ti/S/B, Swin-Ti/S/B,
ResNet-18/50 or ResNet-18/Swin-Ti, LeViT-192/256); the default config is the matching one in
configs/ (SN-Net v1 recipes); v1 stitch ids: --cfg-options model.backbone.stitch=v1:5.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

import torch
from mmengine.config import Config

import snnet_mm  # noqa: F401  (registers SNNetv2 and the relative-position anchors)
from snnet_mm.interop import official_to_ours, unwrap_checkpoint
from snnet_mm.interop.convert import OfficialInfo
from snnet_mm.interop.convert_v1 import CODE_BASES, V1Info, v1_to_ours
from snnet_mm.stitching import safe_load

CONFIG_DIR = Path(__file__).resolve().parent.parent / 'configs' / 'official'
_PAIRS = {(384, 1024): 's-l', (768, 1024): 'b-l'}
_DATASETS = {150: 'ade20k', 171: 'coco-stuff10k'}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official checkpoint (.pth)')
    parser.add_argument('dst', help='converted checkpoint to write (.pth)')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--task', choices=['cls', 'seg'], help='an SN-Netv2 checkpoint of this task')
    source.add_argument('--from', dest='code_base', choices=CODE_BASES, help='an SN-Net v1 checkpoint of this code base')
    parser.add_argument('--config', help='our config the checkpoint must load into (default: from configs/official)')
    parser.add_argument('--merge-lora', action='store_true',
                        help='fold the low-rank updates into the stitching weights (full-rank layers)')
    parser.add_argument('--report', help='also write the per-key report to this file')
    parser.add_argument('--unsafe-load', action='store_true',
                        help='unpickle SRC even if it holds Python objects outside the allow-list: RUNS ANY CODE '
                             'IN THE FILE; only for a file you trust')
    args = parser.parse_args(argv)
    if args.code_base and args.merge_lora:
        parser.error('--merge-lora: SN-Net v1 stitching layers are full rank; nothing to merge')
    return args


def default_config(info: OfficialInfo) -> Path:
    """The shipped config for a published model, from its widths and number of classes."""
    pair = _PAIRS.get(info.widths)
    if pair is None:
        raise ValueError(f'--config: no shipped config for anchors of widths {info.widths}; pass --config')
    if info.task == 'cls':
        path = CONFIG_DIR / f'snnetv2-official_deit3-{pair}_in1k.py'
    else:
        dataset = _DATASETS.get(info.num_classes)
        if dataset is None:
            raise ValueError(f'--config: no shipped config for {info.num_classes} classes; pass --config')
        path = CONFIG_DIR / f'setr-naive_snnetv2-official_deit3-{pair}_{dataset}-512x512.py'
    if not path.exists():
        raise ValueError(f'--config: no shipped config for {info}; pass --config')
    return path


_V1_CONFIGS = {
    ('vit',) * 3: 'classification/snnet-v1_deit-ti-s-b_8xb128_in1k.py',
    ('swin',) * 3: 'families/classification/snnet-v1_swin-t-s-b_8xb128-50e_in1k.py',
    ('resnet', 'resnet'): 'families/classification/snnet-v1_r18-r50_8xb128-30e_in1k.py',
    ('resnet', 'swin'): 'families/classification/snnet-v1_r18-swin-t_8xb128-30e_in1k.py',
    ('levit', 'levit'): 'families/classification/snnet-v1_levit-192-256_8xb128-100e_in1k.py',
}


def default_v1_config(info: V1Info) -> Path:
    """The shipped SN-Net v1 config for a published v1 model, from its anchors' families."""
    path = _V1_CONFIGS.get(info.families)
    if path is None:
        raise ValueError(f'--config: no shipped config for v1 anchors {info.families}; pass --config')
    return CONFIG_DIR.parent / path


def load_official(src: str, *, unsafe: bool = False) -> dict:
    """The official checkpoint object, read under snnet_mm's loading policy (see the module doc)."""
    checkpoint = safe_load.load(src, field_name='src', unsafe=unsafe, unsafe_option='--unsafe-load')
    if not isinstance(checkpoint, dict):
        raise ValueError(f'src: {src!r} holds a {type(checkpoint).__name__}, not a checkpoint dict')
    return checkpoint


def check_against_config(cfg: Config, state: dict) -> None:
    """Build the model of ``cfg`` (on the meta device) and compare keys and shapes with ``state``."""
    scope = cfg.get('default_scope') or 'mmengine'
    if scope != 'mmengine':
        importlib.import_module(f'{scope}.utils').register_all_modules()
    registry = importlib.import_module(f'{scope}.registry').MODELS
    for anchor in cfg.model.backbone.anchors:
        anchor.pop('checkpoint', None)  # the converted checkpoint carries the anchors
    if cfg.model.get('teacher'):  # a distillation teacher lives outside the state dict: build it bare
        cfg.model.teacher.update(checkpoint=None, pretrained=False)
    with torch.device('meta'):
        ours = registry.build(cfg.model).state_dict()
    missing = sorted(set(ours) - set(state))
    unexpected = sorted(set(state) - set(ours))
    shapes = [f'{k}: {tuple(state[k].shape)} vs {tuple(v.shape)}' for k, v in ours.items()
              if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if missing or unexpected or shapes:
        raise ValueError(f'--config: the converted checkpoint does not fit the model: missing {missing[:8]}, '
                         f'unexpected {unexpected[:8]}, shape mismatches {shapes[:5]}')


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    state, entry = unwrap_checkpoint(load_official(args.src, unsafe=args.unsafe_load))
    if args.code_base:
        ours, report, info = v1_to_ours(state, args.code_base)
        config = Path(args.config) if args.config else default_v1_config(info)
        rank = None
    else:
        ours, report, info = official_to_ours(state, args.task, merge_lora=args.merge_lora)
        config = Path(args.config) if args.config else default_config(info)
        rank = None if args.merge_lora else info.lora_rank
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict({'model.backbone.lora_rank': rank, 'model.backbone.lora_alpha': 1.0})
    check_against_config(cfg, ours)

    dst = Path(args.dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(converted_from=os.path.abspath(args.src), entry=entry, task=args.task or 'cls',
                code_base=args.code_base or 'snnetv2', depths=info.depths, lora_rank=rank,
                merged_lora=args.merge_lora, report=report.summary())
    if not args.code_base:
        meta['widths'] = info.widths
    torch.save(dict(state_dict=ours, meta=meta), dst)
    dst_cfg = dst.with_suffix('.py')
    dst_cfg.write_text(f'# Converted from {args.src} by tools/convert_official.py; checkpoint {dst.name}.\n'
                       f"_base_ = ['{config.resolve()}']\n\n"
                       f'model = dict(backbone=dict(lora_rank={rank!r}, lora_alpha=1.0))\n'
                       f"load_from = '{dst.resolve()}'\n")
    lines = report.lines()
    if args.report:
        Path(args.report).write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines))
    if args.code_base:
        print(f'{len(state)} official {args.code_base} keys ({entry!r}): {report.summary()}; anchors {info.families}, '
              f'depths {info.depths}')
    else:
        print(f'{len(state)} official keys ({entry!r}): {report.summary()}; depths {info.depths}, '
              f'widths {info.widths}, LoRA rank {info.lora_rank}{" (merged)" if args.merge_lora else ""}')
    print(f'loads strictly into {config}; wrote {dst} and {dst_cfg}')
    return dict(info=info, report=report, config=str(config), dst_config=str(dst_cfg))


if __name__ == '__main__':
    try:
        main()
    except ValueError as exc:  # a bad input: its message, without a traceback
        sys.exit(f'convert_official.py: error: {exc}')
