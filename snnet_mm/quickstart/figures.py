"""The quickstart's two pictures: every task's front (fronts.png) and one validation scene as
S, a middle front stitch and L predict it (predictions.png)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..evaluation.results import atomic_write


def _pyplot():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path: Path) -> Path:
    plt = _pyplot()
    try:
        atomic_write(path, lambda f: fig.savefig(f, format='png'))
    finally:
        plt.close(fig)
    return Path(path)


def plot_fronts(panels: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """One panel per task: every stitch's metric vs MFLOPs, the front, the anchors.

    Args:
        panels: ``title``, ``records`` (sweep records with ``pareto``), ``metric`` and ``scale``
            (display factor of the metric) per task.
        path: PNG written.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.4), dpi=110, squeeze=False)
    for ax, panel in zip(axes[0], panels):
        metric, scale = panel['metric'], panel.get('scale', 1.0)
        records = [r for r in panel['records'] if metric in r]
        mflops = [r['flops'] / 1e6 for r in records]
        values = [r[metric] * scale for r in records]
        ax.scatter(mflops, values, s=10, c='#9aa5b1')
        front = sorted((f, v) for f, v, r in zip(mflops, values, records) if r['pareto'])
        ax.plot([f for f, _ in front], [v for _, v in front], '-o', c='#d1495b', ms=3)
        for f, v, r in zip(mflops, values, records):
            if r['kind'] == 'anchor':
                ax.scatter([f], [v], marker='*', s=140, c='#edae49', edgecolors='k', zorder=3)
                ax.annotate('S' if r['route'].startswith('S') else 'L', (f, v), textcoords='offset points',
                            xytext=(5, 4), fontsize=9)
        ax.set_title(panel['title'], fontsize=9)
        ax.set_xlabel('MFLOPs')
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, Path(path))


def _palette(num: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    colours = rng.integers(40, 255, size=(num, 3)).astype(np.uint8)
    colours[0] = (30, 30, 30)
    return colours


def _show(ax, kind: str, image: np.ndarray, value: Any, depth_range: tuple[float, float]) -> None:
    if kind == 'seg':
        labels = np.where(value == 255, 0, value).astype(int)
        ax.imshow(_palette(11)[labels], interpolation='nearest')
    elif kind == 'depth':
        ax.imshow(np.where(value > 0, value, np.nan), cmap='magma_r', vmin=depth_range[0], vmax=depth_range[1],
                  interpolation='nearest')
    else:
        boxes, labels, _, masks = value
        shown = image.astype(np.float32)
        if masks is not None:
            colours = _palette(11)
            for mask, label in zip(masks, labels):
                shown[mask] = 0.45 * shown[mask] + 0.55 * colours[int(label) + 1]
        ax.imshow(shown.clip(0, 255).astype(np.uint8), interpolation='nearest')
        for (x0, y0, x1, y1), label in zip(boxes, labels):
            ax.add_patch(_pyplot().Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec='#ffde59', lw=1))
            ax.text(x0, y0, str(int(label)), color='#ffde59', fontsize=7, va='bottom')


def plot_predictions(rows: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """One row per task: the scene, the ground truth and each stitch's prediction.

    Args:
        rows: ``kind`` ('seg', 'det' or 'depth'), ``title``, ``image``, ``truth``,
            ``predictions`` and ``names`` (a column title per prediction).
        path: PNG written.
    """
    plt = _pyplot()
    columns = 2 + max(len(r['predictions']) for r in rows)
    fig, axes = plt.subplots(len(rows), columns, figsize=(2.0 * columns, 2.15 * len(rows)), dpi=110, squeeze=False)
    for ax_row, row in zip(axes, rows):
        kind, image = row['kind'], row['image']
        depth_range = (0.0, 1.0)
        if kind == 'depth':
            valid = row['truth'][row['truth'] > 0]
            depth_range = (float(valid.min()), float(valid.max()))
        ax_row[0].imshow(image, interpolation='nearest')
        ax_row[0].set_ylabel(row['title'], fontsize=8)
        ax_row[0].set_title('scene', fontsize=8)
        _show(ax_row[1], kind, image, row['truth'], depth_range)
        ax_row[1].set_title('ground truth', fontsize=8)
        for ax, value, name in zip(ax_row[2:], row['predictions'], row['names']):
            _show(ax, kind, image, value, depth_range)
            ax.set_title(name, fontsize=8)
        for ax in ax_row:
            ax.set_xticks([])
            ax.set_yticks([])
        for ax in ax_row[2 + len(row['predictions']):]:
            ax.axis('off')
    fig.tight_layout()
    return _save(fig, Path(path))
