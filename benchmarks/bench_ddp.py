"""Data-parallel traffic and step time: StitchDistributedDataParallel vs DDP(find_unused_parameters=True).

Two processes (gloo on CPU, NCCL with ``--backend nccl`` on a machine with two GPUs) train the
full-size DeiT3-S/L stitched classifier (random weights, 326M parameters) on one 224x224 image
per rank with SGD (no momentum, so the optimiser adds no memory) through MMEngine's
``train_step``. For the cheapest stitch, the stitch of median FLOPs and the large anchor it
measures, per step: bytes all-reduced by rank 0 (DDP: a comm hook counts each bucket; the
stitch wrapper: its own counter) and wall time of a training step (ranks aligned by a barrier;
after one warm-up step, the fastest of ``--rounds`` x ``--steps``: on a shared machine the
minimum is the least disturbed). Phases alternate, each with a fresh wrapper around the same
model: DDP, stitch wrapper, DDP, ... The last two lines: the largest bytes ratio over the three
stitches (reduced / the stitch's trainable parameter bytes; target within 1 %) and the mean
step-time ratio (stitch wrapper / DDP; target <= 0.7).

    python benchmarks/bench_ddp.py [--steps 1] [--rounds 2] [--size 224] [--backend gloo] [--anchors a,b]
"""
from __future__ import annotations

import argparse
import gc
import logging
import os
import socket
import statistics
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.model.wrappers import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmengine.registry import MODELS

logger = logging.getLogger('bench_ddp')
ANCHORS = ['deit3_small_patch16_224', 'deit3_large_patch16_224']


class Classifier(BaseModel):
    """The stitched DeiT3-S/L classifier with a cross-entropy loss (no parameter outside the backbone)."""

    def __init__(self, anchors: list[str], size: int) -> None:
        super().__init__()
        self.backbone = MODELS.build(dict(type='SNNetv2', anchors=[dict(name=a, img_size=size) for a in anchors]))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        (logits,) = self.backbone(inputs)
        return dict(loss=F.cross_entropy(logits, data_samples)) if mode == 'loss' else logits


def byte_counting_allreduce(counter, bucket):  # no annotations: DDP checks them, and here they are strings
    """DDP comm hook: count the bucket's bytes, then DDP's default all-reduce (averaging)."""
    from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook
    counter['bytes'] += bucket.buffer().numel() * bucket.buffer().element_size()
    return allreduce_hook(None, bucket)


def time_steps(wrapper, optim: OptimWrapper, backbone, stitch: int, data: dict, steps: int) -> list[float]:
    backbone.set_stitch(stitch)
    times = []
    for i in range(steps + 1):  # the first step warms up
        dist.barrier()
        start = time.perf_counter()
        wrapper.train_step(data, optim)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        if i:
            times.append(time.perf_counter() - start)
    return times


def rank_main(rank: int, port: int, args: argparse.Namespace, queue) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(args.threads)
    import snnet_mm  # noqa: F401
    from snnet_mm.engine import StitchDistributedDataParallel
    from snnet_mm.stitching import stitch_parameters
    device = torch.device(f'cuda:{rank}' if args.backend == 'nccl' else 'cpu')
    dist.init_process_group(args.backend, rank=rank, world_size=2)
    torch.manual_seed(0)
    model = Classifier(args.anchors.split(','), args.size).to(device).train()
    backbone = model.backbone
    gflops = [c.gflops for c in backbone.stitch_costs(args.size)]
    order = sorted(range(len(gflops)), key=gflops.__getitem__)
    stitches = [order[0], order[len(order) // 2], order[-1]]
    data = dict(inputs=torch.randn(1, 3, args.size, args.size, device=device),
                data_samples=torch.randint(0, 1000, (1,), device=device))
    active = {s: sum(p.numel() * p.element_size() for p in stitch_parameters(backbone.net, s) if p.requires_grad)
              for s in stitches}
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1e-6))
    rows = {s: dict(route=backbone.stitches[s].route, gflops=gflops[s], active=active[s], ddp_s=[], stitch_s=[])
            for s in stitches}
    for _ in range(args.rounds):  # DDP, then the stitch wrapper, each freshly wrapped, alternating
        ddp = MMDistributedDataParallel(module=model, device_ids=[rank] if device.type == 'cuda' else None,
                                        broadcast_buffers=False, find_unused_parameters=True)
        counter = {'bytes': 0}
        ddp.register_comm_hook(counter, byte_counting_allreduce)
        for s in stitches:
            before = counter['bytes']
            rows[s]['ddp_s'] += time_steps(ddp, optim, backbone, s, data, args.steps)
            rows[s]['ddp_bytes'] = (counter['bytes'] - before) / (args.steps + 1)
        del ddp
        gc.collect()
        wrapper = StitchDistributedDataParallel(model)
        for s in stitches:
            before = wrapper.reduced_bytes
            rows[s]['stitch_s'] += time_steps(wrapper, optim, backbone, s, data, args.steps)
            rows[s]['stitch_bytes'] = (wrapper.reduced_bytes - before) / (args.steps + 1)
        del wrapper
        gc.collect()
    if rank == 0:
        queue.put(dict(rows=[rows[s] for s in stitches],
                       params=sum(p.numel() for p in model.parameters() if p.requires_grad)))
    dist.barrier()
    dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--steps', type=int, default=1, help='timed steps per stitch, wrapper and round (after 1 warm-up)')
    parser.add_argument('--rounds', type=int, default=2, help='DDP / stitch wrapper phases, alternated')
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--backend', default='gloo', choices=['gloo', 'nccl'])
    parser.add_argument('--anchors', default=','.join(ANCHORS), help='timm names, comma-separated')
    parser.add_argument('--threads', type=int, default=1, help='torch threads per process')
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    ctx = torch.multiprocessing.get_context('spawn')
    queue = ctx.SimpleQueue()
    torch.multiprocessing.spawn(rank_main, args=(free_port(), args, queue), nprocs=2, join=True)
    result = queue.get()
    mb = 1024 * 1024
    logger.info(f'{args.anchors}: {result["params"] / 1e6:.1f}M trainable parameters, 2 processes ({args.backend}), '
                f'batch 1 per rank at {args.size}, SGD; per step, rank 0 (time: fastest of {args.rounds} x '
                f'{args.steps} steps):')
    logger.info(f'{"stitch":<34} {"GFLOPs":>7} {"active MB":>10} {"DDP MB":>9} {"ours MB":>9} '
                f'{"DDP s":>7} {"ours s":>7} {"ratio":>6}')
    for row in result['rows']:
        logger.info(f'{row["route"]:<34} {row["gflops"]:>7.2f} {row["active"] / mb:>10.1f} {row["ddp_bytes"] / mb:>9.1f} '
                    f'{row["stitch_bytes"] / mb:>9.1f} {min(row["ddp_s"]):>7.2f} {min(row["stitch_s"]):>7.2f} '
                    f'{min(row["stitch_s"]) / min(row["ddp_s"]):>6.3f}')
    bytes_ratio = max(row['stitch_bytes'] / row['active'] for row in result['rows'])
    time_ratio = statistics.mean(min(row['stitch_s']) / min(row['ddp_s']) for row in result['rows'])
    logger.info(f'bytes ratio (reduced / active stitch params): {bytes_ratio:.4f}')
    logger.info(f'step time ratio (stitch wrapper / DDP): {time_ratio:.3f}')


if __name__ == '__main__':
    main()
