"""``pareto.png``: every stitch's metric vs GFLOPs, the front highlighted, the anchors marked."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from .results import atomic_write


def plot_front(records: Sequence[dict[str, Any]], metric: str, path: str | Path) -> Path:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    records = [r for r in records if metric in r]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    gflops = [r['flops'] / 1e9 for r in records]
    values = [r[metric] for r in records]
    ax.scatter(gflops, values, s=14, c='#9aa5b1', label='stitches')
    front = sorted((g, v) for g, v, r in zip(gflops, values, records) if r['pareto'])
    ax.plot([g for g, _ in front], [v for _, v in front], '-o', c='#d1495b', ms=4, label='Pareto front')
    for g, v, r in zip(gflops, values, records):
        if r['kind'] == 'anchor':
            ax.scatter([g], [v], marker='*', s=160, c='#edae49', edgecolors='k', zorder=3)
            ax.annotate(r['route'], (g, v), textcoords='offset points', xytext=(5, 5), fontsize=8)
    ax.scatter([], [], marker='*', s=120, c='#edae49', edgecolors='k', label='anchors')
    ax.set_xlabel('GFLOPs')
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(loc='best', fontsize=8)
    fig.tight_layout()
    try:
        atomic_write(path, lambda f: fig.savefig(f, format='png'))
    finally:
        plt.close(fig)
    return Path(path)
