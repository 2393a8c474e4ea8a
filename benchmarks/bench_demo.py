"""``snnet demo``: server overhead per request and stitch switching time (goals: <= 50 ms, < 1 ms).

Builds the tiny UperNet (random weights, saved as a checkpoint) and serves the demo page on
127.0.0.1; an HTTP client uploads a 64x64 image once and then moves the budget across the
stitches through Gradio's API (POST the event, read its result stream, as the page does; each
request switches the stitch and runs the prediction). Overhead = request wall time at the
client - the model's forward - the visualizer's drawing (both measured in the server for that
request); the handler's own share (image check, lock, pipeline, page text) is printed too.
Switching is ``set_stitch`` on the loaded model, timed over many calls.

    python benchmarks/bench_demo.py [--requests 40] [--switches 20000]
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / 'configs' / 'segmentation' / 'upernet_snnetv2_tiny_ade20k-64x64.py'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def build_demo(directory: Path):
    import cv2
    import numpy as np
    from mmengine.config import Config

    sys.path.insert(0, str(ROOT / 'tests'))
    from tools_loader import load_tool

    from snnet_mm.demo.session import StitchDemo
    model = load_tool('export_stitch').build_model(Config.fromfile(CONFIG))
    torch.save(dict(state_dict=model.state_dict()), directory / 'model.pth')
    image = directory / 'image.png'
    cv2.imwrite(str(image), np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8))
    options = {f'model.backbone.anchors.{i}.checkpoint': str(directory / 'gone.pth') for i in range(2)}
    return StitchDemo.from_files(CONFIG, directory / 'model.pth', cfg_options=options, examples=[image]), image


def time_switching(demo, calls: int) -> float:
    """Median microseconds of one ``set_stitch`` (over batches of calls cycling through the stitches)."""
    backbone = demo.inferencer.backbone
    n = backbone.num_stitches
    batches = []
    for _ in range(5):
        start = time.perf_counter()
        for i in range(calls):
            backbone.set_stitch(i % n)
        batches.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--requests', type=int, default=40)
    parser.add_argument('--switches', type=int, default=20000)
    args = parser.parse_args()
    os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')
    torch.set_num_threads(1)
    import httpx

    from snnet_mm.demo.server import launch
    from snnet_mm.demo.view import slider_scale

    with tempfile.TemporaryDirectory() as tmp:
        demo, image = build_demo(Path(tmp))
        switch_us = time_switching(demo, args.switches)
        port = free_port()
        page = launch(demo, port=port, block=False, quiet=True)
        try:
            api = f'http://127.0.0.1:{port}/gradio_api'
            client = httpx.Client(timeout=120)
            with open(image, 'rb') as f:
                uploaded = dict(path=client.post(f'{api}/upload', files={'files': f}).json()[0],
                                meta={'_type': 'gradio.FileData'}, orig_name=image.name)
            scale = slider_scale(demo.menu)
            values = [scale.value(demo.menu.cost(i)) for i in demo.menu.stops]
            shots, walls = [], []
            original_run = demo.run

            def recording_run(*a, **k):
                shot = original_run(*a, **k)
                shots.append(shot)
                return shot
            demo.run = recording_run
            for k in range(args.requests + 2):  # the first two warm up
                start = time.perf_counter()
                event = client.post(f'{api}/call/on_budget', json=dict(data=[values[k % len(values)], uploaded]))
                with client.stream('GET', f'{api}/call/on_budget/{event.json()["event_id"]}') as stream:
                    answer = ''.join(stream.iter_text())
                walls.append((time.perf_counter() - start) * 1e3)
                if 'event: complete' not in answer:
                    raise RuntimeError(f'request {k} failed: {answer[-500:]}')
            pairs = list(zip(walls, shots))[2:]
        finally:
            page.close()
    overhead = [w - s.prediction.forward_ms - s.prediction.draw_ms for w, s in pairs]
    handler = [s.request_ms - s.prediction.forward_ms - s.prediction.draw_ms for _, s in pairs]
    load = os.getloadavg()[0]
    print(f'tiny UperNet, 64x64 image, {len(pairs)} requests over {len(values)} stitches, 1 torch thread, '
          f'load average {load:.2f}')
    print(f'request wall at the client: median {statistics.median(walls[2:]):.1f} ms')
    print(f'  forward {statistics.median(s.prediction.forward_ms for _, s in pairs):.1f} ms, '
          f'drawing {statistics.median(s.prediction.draw_ms for _, s in pairs):.1f} ms (medians)')
    print(f'server overhead per request (wall - forward - drawing): median {statistics.median(overhead):.1f} ms, '
          f'max {max(overhead):.1f} ms (goal <= 50 ms)')
    print(f'  of which in the handler (image check, lock, pipeline, page text): '
          f'median {statistics.median(handler):.1f} ms')
    print(f'switching a stitch (set_stitch): {switch_us:.2f} us median (goal < 1000 us)')


if __name__ == '__main__':
    main()
