"""Per-stitch sweep overhead outside the forward passes (goal < 0.5 s per stitch).

Builds the tiny UperNet config's runner once (tiny data written to a temporary directory),
sweeps every stitch, and splits each stitch's wall time into the time spent inside the model's
``test_step`` and everything else (set_stitch, evaluator, hooks, FLOPs lookup, result file).

    python benchmarks/bench_sweep.py [--config configs/segmentation/upernet_snnetv2_tiny_ade20k-64x64.py]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

from snnet_mm.evaluation.sweep import StitchSweep
from snnet_mm.tiny_data import make_tiny_data

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=str(ROOT / 'configs/segmentation/upernet_snnetv2_tiny_ade20k-64x64.py'))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        make_tiny_data('ade20k', 'data/tiny/ade20k')
        cfg = Config.fromfile(args.config)
        cfg.work_dir = os.path.join(tmp, 'work')
        runner = Runner.from_cfg(cfg)
        sweep = StitchSweep(runner, cfg.work_dir, latency_iters=0)
        inside = []
        original = type(sweep.model).test_step

        def timed(model, data):
            start = time.perf_counter()
            out = original(model, data)
            inside[-1] += time.perf_counter() - start
            return out

        type(sweep.model).test_step = timed
        totals = []
        try:
            for index in range(sweep.backbone.num_stitches):
                inside.append(0.0)
                start = time.perf_counter()
                sweep.evaluate(index)
                totals.append(time.perf_counter() - start)
        finally:
            type(sweep.model).test_step = original
        overhead = [t - f for t, f in zip(totals, inside)]
        logger = MMLogger.get_current_instance()
        logger.info(f'per stitch: total {sum(totals) / len(totals):.3f} s, in test_step '
                    f'{sum(inside) / len(inside):.3f} s, overhead {sum(overhead) / len(overhead):.3f} s '
                    f'(max {max(overhead):.3f} s) over {len(totals)} stitches')


if __name__ == '__main__':
    main()
