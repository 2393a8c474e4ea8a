"""Our sweep next to a published per-stitch table: one metric-vs-GFLOPs plot, both fronts drawn."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ..stitching.jsonfile import read_json
from ..stitching.pareto import pareto_front
from ..stitching.sweep_records import load_table


def read_published(path: str | Path, field_name: str = '--compare') -> tuple[list[dict[str, Any]], str]:
    """Records and source of a table written by ``tools/import_published.py`` (or a ``stitches.json``).

    Raises:
        ValueError: A missing, empty, non-JSON or wrong-shape file (naming it and what is wrong).
    """
    records = load_table(path, field_name, required=('index', 'route', 'flops'), writer='tools/import_published.py')
    source = read_json(path, field_name).get('source') if Path(path).suffix != '.jsonl' else None
    return records, source or str(path)


def plot_comparison(ours: Sequence[dict[str, Any]], theirs: Sequence[dict[str, Any]], metric: str,
                    path: str | Path, *, label: str = 'published') -> Path:
    """Both tables' stitches and Pareto fronts for ``metric`` on one plot.

    Raises:
        ValueError: The published table does not report ``metric``.
    """
    theirs = [r for r in theirs if metric in r]
    if not theirs:
        raise ValueError(f'compare: the published table has no {metric!r}; its stitches report other metrics')
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for records, name, color in ((ours, 'ours', '#d1495b'), (theirs, label, '#00798c')):
        records = [r for r in records if metric in r]
        g = [r['flops'] / 1e9 for r in records]
        v = [r[metric] for r in records]
        ax.scatter(g, v, s=12, c=color, alpha=0.35)
        front = sorted((gi, vi) for gi, vi, on in zip(g, v, pareto_front(records, metric)) if on)
        ax.plot([p[0] for p in front], [p[1] for p in front], '-o', c=color, ms=4, label=f'{name} ({len(records)})')
    ax.set_xlabel('GFLOPs')
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(loc='best', fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return Path(path)
