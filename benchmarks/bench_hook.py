"""StitchSamplingHook overhead: hook + sampling time per iteration / train step time (goal < 1%).

Builds the DeiT3-S/L stitched classifier (random weights), times ``before_train_iter`` (draw,
set_stitch, two message-hub scalars) over many calls, and a real training step (forward,
backward, AdamW) averaged over stitches drawn by the same sampler. Prints the ratio.

    python benchmarks/bench_hook.py [--batch 4] [--steps 6] [--device cpu]
"""
from __future__ import annotations

import argparse
import logging
import statistics
import time
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.registry import MODELS

import snnet_mm  # noqa: F401
from snnet_mm.engine import StitchSamplingHook
from snnet_mm.stitching.sampling import StitchSampler, group_by_flops

logger = logging.getLogger('bench_hook')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=4)
    parser.add_argument('--steps', type=int, default=6)
    parser.add_argument('--calls', type=int, default=20000)
    parser.add_argument('--device', default='cpu')
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    device = torch.device(args.device)

    backbone = MODELS.build(dict(type='SNNetv2', anchors=['deit3_small_patch16_224', 'deit3_large_patch16_224']))
    backbone.to(device).train()
    gflops = [c.flops / 1e9 for c in backbone.stitch_costs(224)]
    sampler = StitchSampler(group_by_flops(gflops, range(len(gflops)), 1.0), seed=0)

    hook = StitchSamplingHook()
    hook.sampler, hook.gflops, hook._backbone = sampler, gflops, backbone
    runner = SimpleNamespace(iter=0, message_hub=MessageHub.get_instance('bench_hook'))
    start = time.perf_counter()
    for i in range(args.calls):
        runner.iter = i
        hook.before_train_iter(runner, i)
    hook_s = (time.perf_counter() - start) / args.calls

    optimizer = torch.optim.AdamW(backbone.parameters(), lr=1e-5)
    x = torch.randn(args.batch, 3, 224, 224, device=device)
    y = torch.randint(0, 1000, (args.batch,), device=device)
    steps = []
    for i in range(args.steps + 1):
        backbone.set_stitch(sampler.sample(i))
        start = time.perf_counter()
        (logits,) = backbone(x)
        F.cross_entropy(logits, y).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
        if i:  # the first step warms up
            steps.append(time.perf_counter() - start)
    step_s = statistics.mean(steps)
    logger.info(f'hook per iteration : {hook_s * 1e6:.1f} us')
    logger.info(f'train step         : {step_s * 1e3:.1f} ms (mean of {args.steps} sampled stitches, '
                f'batch {args.batch}, 224, {device})')
    logger.info(f'hook / train step  : {hook_s / step_s:.6f} ({100 * hook_s / step_s:.4f} %)')


if __name__ == '__main__':
    main()
