"""``import snnet_mm`` time relative to ``import mmengine``, each in fresh interpreters.

Also times ``import snnet_mm`` followed by the modules it imported eagerly before the imports
became lazy (timm and mmseg's model zoo, via the DPT depth head), i.e. the old cost.

    python benchmarks/bench_import.py [--repeats 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    'mmengine': 'import mmengine',
    'snnet_mm': 'import snnet_mm',
    'snnet_mm + formerly eager imports': 'import snnet_mm, timm, snnet_mm.models.dpt_depth_head',
}


def import_seconds(statement: str) -> float:
    code = f'import time\nt = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)'
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True,
                            env={**os.environ, 'PYTHONPATH': str(ROOT), 'SNNET_MM_NO_COMPAT': '0'})
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=5)
    args = parser.parse_args()
    times = {name: [] for name in CASES}
    for _ in range(args.repeats):  # interleaved, so load changes hit every case alike
        for name, statement in CASES.items():
            times[name].append(import_seconds(statement))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f'{name:<36} {median:6.2f} s (median of {args.repeats})')
    base = medians['mmengine']
    print(f'import snnet_mm / import mmengine: {medians["snnet_mm"] / base:.2f}')
    print(f'with the formerly eager imports / import mmengine: '
          f'{medians["snnet_mm + formerly eager imports"] / base:.2f}')


if __name__ == '__main__':
    main()
