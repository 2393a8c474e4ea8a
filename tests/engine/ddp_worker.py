"""One rank of the two-process DDP test (run under torchrun): trains and saves what it saw."""
from __future__ import annotations

import sys
from pathlib import Path

import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from toy import ToyStitchedClassifier, dataloader_cfg  # noqa: E402


class Capture(Hook):
    priority = 'LOWEST'

    def __init__(self) -> None:
        self.stitches: list[int] = []
        self.layers_after_init: dict = {}

    def before_train(self, runner) -> None:
        net = runner.model.module.backbone.net
        self.layers_after_init = {k: v.clone() for k, v in net.stitch_layers.state_dict().items()}

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.stitches.append(runner.model.module.backbone.current_stitch)


def main(out_dir: str) -> None:
    capture = Capture()
    runner = Runner(
        model=ToyStitchedClassifier(), work_dir=out_dir, launcher='pytorch',
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        # Unused parameters exist in every step: each iteration trains one stitch.
        cfg=dict(find_unused_parameters=True),
        train_dataloader=dataloader_cfg(), optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        train_cfg=dict(by_epoch=False, max_iters=6), randomness=dict(seed=3, diff_rank_seed=True),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1000)),
        custom_hooks=[dict(type='StitchSamplingHook', num_init_images=16, gap_gflops=0.0005), capture])
    # Each rank perturbs its copy before training: the hook's broadcast must make them equal again.
    with torch.no_grad():
        for p in runner.model.module.backbone.net.stitch_layers.parameters():
            p.add_(torch.randn_like(p))
    runner.train()
    params = {k: v.detach().clone() for k, v in runner.model.module.state_dict().items()}
    torch.save(dict(stitches=capture.stitches, layers_after_init=capture.layers_after_init, params=params),
               Path(out_dir) / f'rank{runner.rank}.pt')


if __name__ == '__main__':
    main(sys.argv[1])
