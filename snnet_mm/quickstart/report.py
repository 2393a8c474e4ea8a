"""The quickstart's tables and ``docs/quickstart_*``: what a run prints and writes."""
from __future__ import annotations

import os
import platform
import shutil
import time
from pathlib import Path
from typing import Any, Sequence

import torch

from .tasks import Task


def _value(task: Task, record: dict[str, Any]) -> str:
    value = record[task.metric] * task.scale
    return f'{value:.3f}' if task.relative else f'{value:.2f}'


def stitch_rows(task: Task, records: Sequence[dict[str, Any]]) -> list[tuple[str, ...]]:
    """Every stitch by FLOPs: index, route, MFLOPs, params (K), metric, front mark."""
    return [(str(r['index']), r['route'], f'{r["flops"] / 1e6:.2f}', f'{r["params"] / 1e3:.1f}',
             _value(task, r) if task.metric in r else '-', '*' if r['pareto'] else '')
            for r in sorted(records, key=lambda r: r['flops'])]


def format_table(task: Task, records: Sequence[dict[str, Any]]) -> str:
    lines = [f'{"stitch":>6}  {"route":<28} {"MFLOPs":>8} {"params(K)":>9} {task.metric:>14}  front']
    lines += [f'{i:>6}  {route:<28} {f:>8} {p:>9} {m:>14}  {mark}'
              for i, route, f, p, m, mark in stitch_rows(task, records)]
    return '\n'.join(lines)


def markdown_table(task: Task, records: Sequence[dict[str, Any]]) -> str:
    lines = [f'| stitch | route | MFLOPs | params (K) | {task.metric} | front |',
             '| ---: | --- | ---: | ---: | ---: | :---: |']
    lines += [f'| {i} | `{route}` | {f} | {p} | {m} | {mark} |' for i, route, f, p, m, mark in stitch_rows(task, records)]
    return '\n'.join(lines)


def story_holds(task: Task, story: dict[str, Any]) -> bool:
    """L better than S by the task's margin, both anchors on the front, the front rising."""
    return task.gap_holds(story['gap'], story['relative_gap']) and story['anchors_on_front'] and story['front_rises']


def best_stitch(task: Task, story: dict[str, Any]) -> dict[str, Any] | None:
    """The best front stitch that is not an anchor (None when the front is only the anchors)."""
    inner = [r for r in story['front'] if r['kind'] != 'anchor']
    return inner[-1] if inner else None


def summary_rows(results: dict[str, dict[str, Any]], tasks: dict[str, Task]) -> list[tuple[str, ...]]:
    rows = []
    for name, result in results.items():
        task, story = tasks[name], result['story']
        best = best_stitch(task, story)
        gap = f'{story["relative_gap"] * 100:.0f} %' if task.relative else f'{story["gap"] * task.scale:+.2f}'
        rows.append((task.title, _value(task, story['small']), _value(task, story['large']), gap,
                     '-' if best is None else f'{_value(task, best)} (#{best["index"]}, {best["flops"] / 1e6:.1f} MFLOPs)',
                     str(len({(r['flops'], r[task.metric]) for r in story['front']})),
                     'yes' if story_holds(task, story) else f'NO (needs L better by {task.margin()}, '
                                                              'both anchors on a rising front)'))
    return rows


SUMMARY_HEADER = ('task', 'S', 'L', 'L better by', 'best stitch', 'front points', 'story holds')


def format_summary(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(str(r[k])) for r in (SUMMARY_HEADER, *rows)) for k in range(len(SUMMARY_HEADER))]
    return '\n'.join('  '.join(str(c).ljust(w) for c, w in zip(row, widths)) for row in (SUMMARY_HEADER, *rows))


def markdown_summary(rows: Sequence[tuple[str, ...]]) -> str:
    lines = ['| ' + ' | '.join(SUMMARY_HEADER) + ' |', '| --- | ---: | ---: | ---: | --- | ---: | --- |']
    return '\n'.join(lines + ['| ' + ' | '.join(row) + ' |' for row in rows])


def machine() -> str:
    """CPU model, core count and load: what a quoted wall time depends on."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path('/proc/cpuinfo')
    if cpuinfo.exists():
        names = [line.split(':', 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith('model name')]
        model = names[0] if names else model
    load = ', load average %.2f' % os.getloadavg()[0] if hasattr(os, 'getloadavg') else ''
    return f'{model}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads{load}'


def write_docs(docs_dir: str | Path, *, command: str, summary: str, sections: Sequence[tuple[str, str]],
               pictures: dict[str, Path], seconds: float, machine_at_start: str) -> Path:
    """``quickstart_results.md`` and its pictures (``quickstart_<name>.png``) in ``docs_dir``.

    Args:
        docs_dir: Folder written.
        command: The command line of this run (quoted in the file).
        summary: Markdown summary (the four-task table, the budget pick).
        sections: ``(title, markdown)`` per task: its story line and every stitch.
        pictures: ``name -> PNG`` copied as ``quickstart_<name>.png`` and shown in that order.
        seconds: Wall time of the run.
        machine_at_start: ``machine()`` when the run started.
    """
    docs_dir = Path(docs_dir)
    docs_dir.mkdir(parents=True, exist_ok=True)
    shown = []
    for name, path in pictures.items():
        shutil.copyfile(path, docs_dir / f'quickstart_{name}.png')
        shown.append(f'![{name}](quickstart_{name}.png)')
    when = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
    body = '\n\n'.join(f'## {title}\n\n{text}' for title, text in sections)
    path = docs_dir / 'quickstart_results.md'
    path.write_text(f'# Quickstart results\n\nWritten by `{command}` on {when} ({machine_at_start} at the start) '
                    f'in {seconds:.0f} s.\n\n{summary}\n\n' + '\n\n'.join(shown) + f'\n\n{body}\n')
    return path
