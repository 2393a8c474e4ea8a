"""onnxruntime / PyTorch eager latency of exported stitches on the CPU, measured in one run.

For each config (random weights) and each chosen stitch: export the stitch with
``tools/export_stitch.py``'s ONNX path (parity-checked in onnxruntime, <= 1e-4 relative), then
time onnxruntime and the same single-stitch PyTorch model in eager mode at batch 1 on the CPU,
alternating the two so machine load hits both alike (median of ``--reps`` each, both using
``--threads`` threads). Prints one line per stitch (export seconds, both latencies, ratio), and
last ``onnxruntime / eager: X``, the median ratio over every stitch timed.

    python benchmarks/bench_onnx.py                      # tiny + full-size classification and UperNet
    python benchmarks/bench_onnx.py --configs cls-full --stitches all --reps 20

``--stitches ends`` (default) times the cheapest, the middle (by GFLOPs) and the most expensive
stitch of each config; ``all`` every stitch (134 for DeiT3-S/L: hours on a 2-core CPU).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / 'tests'))
from tools_loader import load_tool  # noqa: E402

CONFIGS = {
    'cls-tiny': 'classification/snnetv2_tiny_imagenet-32px.py',
    'upernet-tiny': 'segmentation/upernet_snnetv2_tiny_ade20k-64x64.py',
    'cls-full': 'classification/snnetv2_deit3-s-l_8xb64_in1k.py',
    'upernet-full': 'segmentation/upernet_snnetv2_deit3-s-l_8xb2-160k_ade20k-512x512.py',
}


def random_weight_model(tool, path: Path):
    """The config and its model with random-init anchors (no checkpoint read or downloaded)."""
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    cfg.model.backbone.anchors = [a if isinstance(a, str) else {**a, 'checkpoint': None}
                                  for a in cfg.model.backbone.anchors]
    torch.manual_seed(0)
    return cfg, tool.build_model(cfg).eval()


def chosen_stitches(model, size: tuple[int, int], which: str) -> list[int]:
    if which == 'all':
        return list(range(model.backbone.num_stitches))
    order = sorted(range(model.backbone.num_stitches), key=lambda i: model.backbone.stitch_costs(size)[i].flops)
    return list(dict.fromkeys([order[0], order[len(order) // 2], order[-1]]))


def paired_latency_ms(eager, session, images: torch.Tensor, reps: int) -> tuple[float, float]:
    """Median ms of eager PyTorch and onnxruntime at batch 1, runs alternated (2 warm-ups each)."""
    feed = {'image': images.numpy()}
    times: dict[str, list[float]] = {'eager': [], 'ort': []}
    with torch.inference_mode():
        for rep in range(reps + 2):
            for name, run in (('eager', lambda: eager(images)), ('ort', lambda: session.run(None, feed))):
                start = time.perf_counter()
                run()
                if rep >= 2:
                    times[name].append((time.perf_counter() - start) * 1e3)
    return statistics.median(times['eager']), statistics.median(times['ort'])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', nargs='+', default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument('--stitches', default='ends', choices=('ends', 'all'))
    parser.add_argument('--reps', type=int, default=10)
    parser.add_argument('--threads', type=int, default=os.cpu_count())
    parser.add_argument('--exporter', choices=('auto', 'torchscript', 'dynamo'), default='auto')
    args = parser.parse_args()
    from snnet_mm.deploy.runtime import cpu_session
    from snnet_mm.evaluation.model_flops import default_input_size
    from snnet_mm.onnx_export import TaskGraph, export_checked
    from snnet_mm.onnx_export.exporter import random_images

    torch.set_num_threads(args.threads)
    tool = load_tool('export_stitch')
    print(f'torch {torch.__version__}, onnxruntime {__import__("onnxruntime").__version__}, {args.threads} threads, '
          f'exporter {args.exporter}, load average {os.getloadavg()[0]:.2f} at start', flush=True)
    ratios = []
    for name in args.configs:
        cfg, model = random_weight_model(tool, ROOT / 'configs' / CONFIGS[name])
        size = default_input_size(cfg)
        indices = chosen_stitches(model, size, args.stitches)
        print(f'{name} ({CONFIGS[name]}) at {size[0]}x{size[1]}: stitches {indices} '
              f'({"cheapest, middle, most expensive by GFLOPs" if args.stitches == "ends" else "all"})', flush=True)
        costs = model.backbone.stitch_costs(size)
        for index in indices:
            _, single, _ = tool.single_stitch_model(cfg, model, index)
            graph = TaskGraph(single).eval()
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                check = export_checked(graph, Path(tmp) / 'stitch.onnx', input_size=size, exporter=args.exporter,
                                       threads=args.threads)
                export_s = time.perf_counter() - start
                session = cpu_session(str(Path(tmp) / 'stitch.onnx'), threads=args.threads)
                eager_ms, ort_ms = paired_latency_ms(graph, session, random_images(1, size), args.reps)
            ratios.append(ort_ms / eager_ms)
            print(f'  stitch {index:3d} {model.backbone.stitches[index].route:28s} '
                  f'{costs[index].flops / 1e9:8.4g} backbone GFLOPs  export {export_s:6.1f} s  '
                  f'{check["exporter"]}  parity {check["parity"]:.1e}  eager {eager_ms:9.2f} ms  onnxruntime {ort_ms:9.2f} ms  '
                  f'ratio {ratios[-1]:.3f}  load {os.getloadavg()[0]:.2f}', flush=True)
        del model
    print(f'onnxruntime / eager: {statistics.median(ratios):.3f}')


if __name__ == '__main__':
    main()
