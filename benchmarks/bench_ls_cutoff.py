"""Least-squares cut-off: stitch top-1 right after the LS init and after training, per kind.

Trains the quickstart anchors (scikit-learn digits, ViT 6x48 and 12x96, the quickstart configs
and package code; reused when ``WORK_DIR/anchor_*.pth`` exist), then for each cut-off setting
builds the stitched model from ``configs/quickstart/digits_snnetv2.py`` with the same seed,
least-squares initialises the stitching layers (the hook, with ``ls_rcond`` set), evaluates
every stitch on the validation digits, trains all stitches (SN-Netv2 sampling) and evaluates
again. Prints mean top-1 per stitch kind for both settings:

- ``fp64``: ``rcond=None``, float64 precision (pinv's default on the Gram matrix);
- ``fp32``: ``rcond='fp32'``, the cut-off of the official float32 ``torch.linalg.pinv``;
- any other ratio given in ``--settings`` (e.g. ``2.3e-3``, the official cut-off for 100
  ImageNet images of 197 tokens).

    python benchmarks/bench_ls_cutoff.py [--work-dir work_dirs/bench_ls_cutoff] [--stitch-epochs 15]
                                         [--settings fp64,fp32,2.3e-3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import snnet_mm  # noqa: F401
from snnet_mm.engine import StitchSamplingHook
from snnet_mm.quickstart.run import train_anchors

ROOT = Path(__file__).resolve().parents[1]
ANCHORS = ROOT / 'configs' / 'quickstart' / 'digits_anchors.py'
STITCHED = ROOT / 'configs' / 'quickstart' / 'digits_snnetv2.py'
NAMED = {'fp64': None, 'fp32': 'fp32'}
KINDS = ('anchor', 'SL', 'LS', 'LSL', 'SLS')


@torch.no_grad()
def stitch_accuracy(runner: Runner) -> list[float]:
    """Top-1 (%) of every stitch on the validation split; leaves the backbone's stitch as it was."""
    model = runner.model
    backbone = model.backbone
    was_training = model.training
    model.eval()
    batches = list(runner.val_dataloader)
    accuracy = []
    for index in range(backbone.num_stitches):
        backbone.set_stitch(index)
        correct = total = 0
        for batch in batches:
            for sample in model.val_step(batch):
                correct += int(sample.pred_label == sample.gt_label)
                total += 1
        accuracy.append(100.0 * correct / total)
    backbone.set_stitch(backbone.default_stitch)
    model.train(was_training)
    return accuracy


class AfterInit(Hook):
    """Evaluates every stitch once the sampling hook has solved the stitching layers."""

    priority = 'LOW'  # after StitchSamplingHook (VERY_HIGH) in before_train

    def __init__(self) -> None:
        self.accuracy: list[float] = []

    def before_train(self, runner) -> None:
        self.accuracy = stitch_accuracy(runner)


def run_setting(name: str, rcond, anchors: list[Path], work_dir: Path, epochs: int) -> dict:
    cfg = Config.fromfile(STITCHED)
    cfg.work_dir = str(work_dir / name)
    cfg.experiment_name = f'ls_{name}'
    cfg.randomness = dict(seed=0)
    cfg.train_cfg.max_epochs = cfg.train_cfg.val_interval = epochs
    cfg.default_hooks.checkpoint.interval = epochs
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, eta_min=1e-5, begin=0, end=epochs,
                                T_max=epochs)]
    for anchor, path in zip(cfg.model.backbone.anchors, anchors):
        anchor.checkpoint = str(path)
    for hook in cfg.custom_hooks:
        if hook['type'] == 'StitchSamplingHook':
            hook['ls_rcond'] = rcond
    runner = Runner.from_cfg(cfg)
    probe = AfterInit()
    runner.register_hook(probe)
    assert any(isinstance(h, StitchSamplingHook) for h in runner.hooks)
    start = time.perf_counter()
    runner.train()
    after = stitch_accuracy(runner)
    kinds = [s.kind for s in runner.model.backbone.stitches]
    return dict(kinds=kinds, init=probe.accuracy, trained=after, seconds=time.perf_counter() - start)


def per_kind(result: dict, key: str) -> dict[str, float]:
    return {k: statistics.mean(a for a, kind in zip(result[key], result['kinds']) if kind == k)
            for k in KINDS if k in result['kinds']}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/bench_ls_cutoff')
    parser.add_argument('--anchor-epochs', type=int, default=None, help='default: the quickstart config (60)')
    parser.add_argument('--stitch-epochs', type=int, default=15)
    parser.add_argument('--threads', type=int, default=1, help='torch CPU threads (the machine may be shared)')
    parser.add_argument('--settings', default='fp64,fp32', help='comma-separated: fp64, fp32 or ratios')
    args = parser.parse_args()
    settings = {name: NAMED[name] if name in NAMED else float(name) for name in args.settings.split(',')}
    torch.set_num_threads(args.threads)
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    work_dir = Path(args.work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    anchors = train_anchors(ANCHORS, work_dir, epochs=args.anchor_epochs)
    results = {name: run_setting(name, rcond, anchors, work_dir, args.stitch_epochs)
               for name, rcond in settings.items()}
    (work_dir / f'ls_cutoff_{"_".join(settings)}.json').write_text(json.dumps(results, indent=1))
    print(f'\nmean top-1 (%) per stitch kind, {args.stitch_epochs} SN-Netv2 epochs (quickstart model)')
    print(f'{"kind":<7}{"n":>3} ' + ''.join(f'{n + " init":>11}{n + " trained":>14}' for n in settings))
    kinds = next(iter(results.values()))['kinds']
    for kind in KINDS:
        count = kinds.count(kind)
        row = ''.join(f'{per_kind(r, "init")[kind]:>11.2f}{per_kind(r, "trained")[kind]:>14.2f}'
                      for r in results.values())
        print(f'{kind:<7}{count:>3} {row}')
    for key in ('init', 'trained'):
        row = '  '.join(f'{n}: {statistics.mean(results[n][key]):.2f}' for n in settings)
        print(f'all stitches, {key}: {row}')
    print('seconds per setting: ' + ', '.join(f'{n} {r["seconds"]:.0f}' for n, r in results.items()))


if __name__ == '__main__':
    main()
