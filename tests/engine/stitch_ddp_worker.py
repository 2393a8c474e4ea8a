"""One rank of the StitchDistributedDataParallel equivalence test (started by torch.multiprocessing).

Trains the tiny SETR config (two 2/4-block anchors, low-rank stitching layers, decode head and
three auxiliary heads with batch norm) from one seed with MMEngine's DDP
(``find_unused_parameters=True``) and with ``StitchDistributedDataParallel``, for plain SGD,
gradient accumulation and ``AmpOptimWrapper``; then provokes the wrapper's two errors. Saves
what it saw to ``rank<r>.pt``.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / 'configs' / 'segmentation' / 'setr-naive_snnetv2_tiny_ade20k-64x64.py'
MAX_ITERS = 8
WRAPPERS = {'ddp': None, 'stitch': dict(type='StitchDistributedDataParallel')}
VARIANTS = {
    'sgd': {},
    'accumulate': dict(accumulative_counts=2),
    # On CPU: bfloat16 autocast and a CPU GradScaler (the wrapper checks for CUDA; patched below).
    'amp': dict(type='AmpOptimWrapper', dtype='bfloat16', loss_scale=dict(init_scale=1024.0)),
}


class Capture(Hook):
    """The stitch and the bytes the model wrapper all-reduced, per iteration."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.stitches: list[int] = []
        self.reduced: list[int] = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.stitches.append(runner.model.module.backbone.current_stitch)
        self.reduced.append(getattr(runner.model, 'reduced_bytes', -1) - sum(self.reduced))


def allow_amp_on_cpu() -> None:
    from mmengine.optim.optimizer import amp_optimizer_wrapper as amp
    amp.is_cuda_available = lambda: True
    amp.GradScaler = functools.partial(torch.amp.GradScaler, 'cpu')


def build_runner(workspace: Path, name: str, wrapper: dict | None, optim: dict) -> Runner:
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict({
        'work_dir': str(workspace / name), 'experiment_name': name, 'launcher': 'pytorch',
        'env_cfg.dist_cfg': dict(backend='gloo'), 'randomness': dict(seed=0),
        'train_cfg.max_iters': MAX_ITERS, 'train_cfg.val_interval': 1000,
        'default_hooks.checkpoint.interval': 1000, 'default_hooks.logger.interval': 1000,
        'train_dataloader.dataset.data_root': str(workspace / 'data' / 'tiny' / 'ade20k'),
        'optim_wrapper': optim})
    cfg.model_wrapper_cfg = wrapper
    cfg.find_unused_parameters = True
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    runner = Runner.from_cfg(cfg)
    runner.register_hook(Capture())
    return runner


def loss_of(model, data) -> torch.Tensor:
    return model.module.parse_losses(model(**data, mode='loss'))[0]


def provoke_errors(runner: Runner, rank: int) -> dict[str, str]:
    """Messages of the wrapper's errors: ranks on different stitches; a gradient off the stitch."""
    model = runner.model
    backbone = model.module.backbone
    data = model.module.data_preprocessor(next(iter(runner.train_dataloader)), True)
    errors = {}
    backbone.set_stitch(rank)
    try:
        loss_of(model, data).backward()
    except RuntimeError as error:
        errors['disagree'] = str(error)
    backbone.set_stitch(0)
    head = backbone.net.anchors[0].model.head.weight  # dense outputs never use an anchor's classifier
    try:
        (loss_of(model, data) + 0 * head.sum()).backward()
    except RuntimeError as error:
        errors['outside'] = str(error)
    return errors


def main(rank: int, world_size: int, port: int, workspace: str, out: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE=str(world_size))
    torch.set_num_threads(1)
    import snnet_mm  # noqa: F401
    allow_amp_on_cpu()
    results: dict = {}
    runner = None
    for variant, optim in VARIANTS.items():
        for kind, wrapper in WRAPPERS.items():
            runner = build_runner(Path(workspace), f'{variant}_{kind}', wrapper, optim)
            runner.train()
            capture = next(h for h in runner._hooks if isinstance(h, Capture))
            results[variant, kind] = dict(
                type=type(runner.model).__name__, stitches=capture.stitches, reduced=capture.reduced,
                params={k: v.detach().clone() for k, v in runner.model.module.state_dict().items()},
                optim=runner.optim_wrapper.state_dict())
    param_bytes = expected_bytes(runner)
    errors = provoke_errors(runner, rank)
    torch.save(dict(results=results, errors=errors, param_bytes=param_bytes), Path(out) / f'rank{rank}.pt')


def expected_bytes(runner: Runner) -> dict[int, int]:
    """Per stitch: bytes of its trainable parameters plus every trainable non-backbone parameter."""
    from snnet_mm.stitching import stitch_parameters
    module = runner.model.module
    backbone_ids = {id(p) for p in module.backbone.parameters()}
    others = sum(p.numel() * p.element_size() for p in module.parameters()
                 if p.requires_grad and id(p) not in backbone_ids)
    return {s: others + sum(p.numel() * p.element_size() for p in stitch_parameters(module.backbone.net, s)
                            if p.requires_grad)
            for s in range(module.backbone.num_stitches)}
