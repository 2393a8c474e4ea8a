"""What the demo page shows, as plain values: the slider's scale, a stitch's facts, the front's points."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .menu import StitchMenu
from .session import Shot


@dataclass(frozen=True)
class SliderScale:
    """The budget slider: ``value = cost * factor`` in ``unit``, on a grid of ``step`` from ``minimum``."""

    unit: str
    factor: float
    minimum: float
    maximum: float
    step: float

    def value(self, cost: float) -> float:
        """Where a cost sits on the slider (on its grid)."""
        steps = round((cost * self.factor - self.minimum) / self.step)
        return round(self.minimum + steps * self.step, 10)

    def budget(self, value: float) -> float:
        """The cost a slider value means."""
        return value / self.factor

    @property
    def tolerance(self) -> float:
        """Half a step, in cost units: a stop shown at a rounded value still fits it."""
        return self.step / 2 / self.factor


def slider_scale(menu: StitchMenu) -> SliderScale:
    """GFLOPs (MFLOPs below one GFLOP) or milliseconds, with about 1000 steps over the stops."""
    costs = [menu.cost(i) for i in menu.stops]
    if menu.budget == 'latency_ms':
        unit, factor = 'ms', 1.0
    else:
        unit, factor = ('GFLOPs', 1.0) if max(costs) >= 1 else ('MFLOPs', 1e3)
    low, high = min(costs) * factor, max(costs) * factor
    span = high - low if high > low else max(abs(high), 1.0)
    step = 10.0 ** math.floor(math.log10(span / 1000))
    minimum = math.floor(low / step) * step
    maximum = max(math.ceil(high / step) * step, minimum + step)
    return SliderScale(unit=unit, factor=factor, minimum=round(minimum, 10), maximum=round(maximum, 10), step=step)


def flops_text(gflops: float) -> str:
    return f'{gflops:.3f} GFLOPs' if gflops >= 1 else f'{gflops * 1e3:.3f} MFLOPs'


def describe(menu: StitchMenu, index: int, shot: Shot | None = None) -> str:
    """Markdown: the stitch's route, costs and sweep metric, and this request's latency."""
    info = menu.stitches[index]
    scope = 'whole model' if menu.cost_scope == 'model' and info.metric is not None else 'backbone'
    facts = [f'{flops_text(info.gflops)} ({scope})', f'{info.params_m:.3f} M params']
    if info.metric is not None:
        facts.append(f'{menu.metric} {info.metric:.4g} (sweep)')
    if info.latency_ms is not None:
        facts.append(f'{info.latency_ms:.2f} ms per image (sweep)')
    lines = [f'**stitch {info.index}** `{info.route}`', ' · '.join(facts)]
    if shot is not None:
        p = shot.prediction
        lines.append(f'this request: forward {p.forward_ms:.1f} ms, drawing {p.draw_ms:.1f} ms, '
                     f'in all {shot.request_ms:.1f} ms')
    return '\n\n'.join(lines)


def caption(menu: StitchMenu, shot: Shot) -> str:
    """One line under a picture of the front's side-by-side view."""
    info = shot.stitch
    metric = f' · {menu.metric} {info.metric:.4g}' if info.metric is not None else ''
    return f'{info.route} · {flops_text(info.gflops)}{metric} · {shot.prediction.forward_ms:.1f} ms forward'


def front_points(menu: StitchMenu, current: int, scale: SliderScale) -> tuple[list[dict[str, Any]], str, str]:
    """Rows of the front plot (every stitch, its group and route), with the x and y column names.

    y is the sweep's metric; without results, the parameter count.
    """
    x = f'budget ({scale.unit})'
    y = menu.metric or 'params (M)'
    stops = set(menu.stops)
    rows = []
    for info in menu.stitches:
        if menu.metric is not None and info.metric is None:
            continue  # not swept
        group = 'current' if info.index == current else ('front' if info.index in stops else 'stitch')
        rows.append({x: menu.cost(info.index) * scale.factor, y: info.metric if menu.metric else info.params_m,
                     'stitch': group, 'route': f'{info.index}: {info.route}'})
    return rows, x, y
