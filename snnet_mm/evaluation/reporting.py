"""What a sweep (or a FLOPs table) shows while it runs: a progress bar with ETA, one line per
stitch, per-class tables in files instead of the log, and the results on the configured
visualizer backends."""
from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from mmengine.logging import MMLogger
from mmengine.utils import ProgressBar
from mmengine.visualization import Visualizer

from ..stitching.pareto import metric_names, primary_metric

TABLE_HEADERS = ('per class results:',)  # mmseg's line announcing its table


def is_table(message: str) -> bool:
    """A multi-line text table (prettytable / terminaltables rows start with '|' or '+')."""
    rows = [ln for ln in message.strip().splitlines() if ln.strip()]
    return len(rows) >= 3 and sum(ln.lstrip()[:1] in '|+' for ln in rows) >= len(rows) - 1


class _TableFilter(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.strip() in TABLE_HEADERS:
            return False
        if not is_table(message):
            return True
        self.tables.append(message.strip('\n'))
        return False


@contextlib.contextmanager
def captured_tables(logger: logging.Logger | None = None) -> Iterator[list[str]]:
    """Within the block, text tables logged by ``logger`` (default: the current MMLogger) are kept
    in the yielded list instead of the log (mmseg's 150-row per-class IoU table, say)."""
    logger = logger or MMLogger.get_current_instance()
    table_filter = _TableFilter()
    logger.addFilter(table_filter)
    try:
        yield table_filter.tables
    finally:
        logger.removeFilter(table_filter)


def write_tables_text(path: str | Path, tables: Sequence[str]) -> None:
    """Append ``tables`` (from ``captured_tables``) to the text file ``path``; nothing if there are none."""
    if not tables:
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'a') as f:
        f.write(''.join(table + '\n\n' for table in tables))


@contextlib.contextmanager
def tables_to_file(path: str | Path, logger: logging.Logger | None = None) -> Iterator[Path]:
    """Within the block, text tables logged by ``logger`` go to ``path`` (written when the block
    ends) instead of the log."""
    with captured_tables(logger) as tables:
        yield Path(path)
    write_tables_text(path, tables)


def sweep_progress(total: int, *, logger: logging.Logger, metric: str | None = None,
                   quiet: bool = False) -> Callable[[int, int, dict], None]:
    """``progress(k, n, record)`` for ``StitchSweep.run``: one summary line per stitch in the log
    and, unless ``quiet``, MMEngine's progress bar with its ETA on stderr."""
    bar = progress_bar(total, quiet=quiet)

    def report(k: int, n: int, record: dict) -> None:
        shown = metric or primary_metric(metric_names([record]) or ['-'])
        value = f' {shown}={record[shown]:.3f}' if shown in record else ''
        logger.info(f'{k}/{n} stitch {record["index"]} {record["route"]}:{value} '
                    f'{record["flops"] / 1e9:.2f} GFLOPs')
        bar(k, n)
    return report


def progress_bar(total: int, *, quiet: bool = False) -> Callable[[int, int], None]:
    """``progress(k, n)``: MMEngine's progress bar with its ETA on stderr (nothing if ``quiet``)."""
    if quiet:
        return lambda k, n: None
    bar = ProgressBar(total, file=sys.stderr)

    def update(k: int, n: int) -> None:
        bar.update()
        if k == n:
            bar.file.write('\n')
    return update


def publish(records: Sequence[dict[str, Any]], metric: str, png: str | Path | None = None,
            visualizer: Visualizer | None = None) -> None:
    """Send the sweep's table (one step per stitch index) and Pareto figure to the visualizer
    backends of the run (local, TensorBoard, W&B, ...)."""
    visualizer = visualizer or Visualizer.get_current_instance()
    if visualizer is None:
        return
    for record in sorted(records, key=lambda r: r['index']):
        scalars = {f'sweep/{k}': record[k] for k in metric_names([record]) if k in record}
        scalars.update({'sweep/gflops': record['flops'] / 1e9, 'sweep/params_m': record['params'] / 1e6,
                        'sweep/pareto': int(bool(record.get('pareto')))})
        visualizer.add_scalars(scalars, step=record['index'])
    if png is not None and Path(png).is_file():
        import matplotlib.image
        image = matplotlib.image.imread(str(png))
        rgb = (image[..., :3] * 255).round().astype('uint8') if image.dtype != 'uint8' else image[..., :3]
        visualizer.add_image(f'sweep/pareto_{metric.replace("/", "_")}', rgb, step=0)
