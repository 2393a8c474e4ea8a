"""The stitches a budget slider stops at: a sweep's Pareto front, or every stitch by its FLOPs.

With a sweep's results (``stitches.json`` or ``sweep_results.jsonl`` of ``snnet sweep``) the
stops are the front of the primary metric against whole-model GFLOPs, or against latency when
every record has one; without results they are every stitch, by backbone GFLOPs at the anchors'
input size. A budget picks the most expensive stop within it (on a front, the most accurate).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..stitching.pareto import higher_is_better, pareto_front, resolve_metric
from ..stitching.sweep_records import check_same_model, load_table
from ..stitching.cost import StitchCost
from ..stitching.stitch import Stitch


@dataclass(frozen=True)
class StitchInfo:
    """One stitch as the page shows it.

    Attributes:
        index: Stitch index in the model.
        route: Route as printed (``'S[0:2] -> L[4:24]'``).
        gflops: Whole-model GFLOPs from the sweep, else backbone GFLOPs.
        params_m: Millions of parameters (whole model from the sweep, else backbone).
        metric: The sweep's primary metric for this stitch (None without results).
        latency_ms: The sweep's latency per image (None when not measured).
    """

    index: int
    route: str
    gflops: float
    params_m: float
    metric: float | None = None
    latency_ms: float | None = None


@dataclass(frozen=True)
class StitchMenu:
    """Every stitch's facts and the budget slider's stops.

    Attributes:
        stitches: ``StitchInfo`` of every stitch of the model, by index.
        stops: Indices of the slider's stitches, cheapest first.
        budget: ``'gflops'`` or ``'latency_ms'``: what the slider measures.
        metric: Name of the sweep's primary metric (None without results).
        cost_scope: ``'model'`` (a sweep's costs) or ``'backbone'`` (computed here).
        note: Why results given were not used, for the page (None when fine).
    """

    stitches: tuple[StitchInfo, ...]
    stops: tuple[int, ...]
    budget: str
    metric: str | None = None
    cost_scope: str = 'backbone'
    note: str | None = None

    def cost(self, index: int) -> float:
        """The slider's measure of stitch ``index``."""
        info = self.stitches[index]
        return info.latency_ms if self.budget == 'latency_ms' else info.gflops

    def pick(self, budget: float, *, tolerance: float = 0.0) -> int:
        """The most expensive stop within ``budget`` (the cheapest when none fits).

        Args:
            budget: In GFLOPs or milliseconds (``self.budget``).
            tolerance: How far a stop's cost may exceed ``budget`` (a slider's rounding).
        """
        for name, value in (('budget', budget), ('tolerance', tolerance)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f'{name}: expected a finite number, got {value!r}')
        fits = [i for i in self.stops if self.cost(i) <= budget + tolerance]
        return fits[-1] if fits else self.stops[0]

    @property
    def front(self) -> tuple[int, ...]:
        """The stitches the "every front stitch" button runs: the stops."""
        return self.stops


def menu_from_costs(stitches: Sequence[Stitch], costs: Sequence[StitchCost], *, note: str | None = None) -> StitchMenu:
    """Every stitch as a stop, by backbone GFLOPs (ties: the lower index)."""
    infos = tuple(StitchInfo(index=i, route=s.route, gflops=c.gflops, params_m=c.params / 1e6)
                  for i, (s, c) in enumerate(zip(stitches, costs)))
    stops = tuple(sorted(range(len(infos)), key=lambda i: (infos[i].gflops, i)))
    return StitchMenu(stitches=infos, stops=stops, budget='gflops', note=note)


def menu_from_results(path: str | Path, stitches: Sequence[Stitch], costs: Sequence[StitchCost]) -> StitchMenu:
    """The sweep's front as stops; stitches it did not sweep keep their backbone costs.

    Raises:
        ValueError: An unreadable results file, or the results of another model (naming it).
    """
    records = load_table(path)
    check_same_model(records, stitches, path, field_name='results')
    metric = resolve_metric(records, None)
    scored = [r for r in records if isinstance(r.get(metric), (int, float))]
    if not scored:
        raise ValueError(f'results: {str(path)!r} holds no {metric} of any stitch')
    timed = all(isinstance(r.get('latency_ms'), (int, float)) for r in scored)
    budget = 'latency_ms' if timed else 'gflops'
    infos = list(menu_from_costs(stitches, costs).stitches)
    for r in records:
        infos[r['index']] = StitchInfo(index=r['index'], route=stitches[r['index']].route, gflops=r['flops'] / 1e9,
                                       params_m=r['params'] / 1e6, metric=r.get(metric),
                                       latency_ms=r.get('latency_ms'))
    on_front = pareto_front(scored, metric, cost='latency_ms' if timed else 'flops')
    sign = 1.0 if higher_is_better(metric) else -1.0
    front: dict[float, dict[str, Any]] = {}  # one stop per cost: the better (then lower index) stitch
    for r, on in zip(scored, on_front):
        cost = r['latency_ms'] if timed else r['flops']
        if on and (cost not in front or (sign * r[metric], -r['index']) > (sign * front[cost][metric],
                                                                           -front[cost]['index'])):
            front[cost] = r
    stops = tuple(front[c]['index'] for c in sorted(front))
    return StitchMenu(stitches=tuple(infos), stops=stops, budget=budget, metric=metric, cost_scope='model')


def build_menu(results: str | Path | None, stitches: Sequence[Stitch], costs: Sequence[StitchCost]) -> StitchMenu:
    """``menu_from_results`` when results are given and fit this model; otherwise every stitch, with
    a note saying why the results were not used (the page shows it; the demo keeps serving)."""
    if results is None:
        return menu_from_costs(stitches, costs)
    try:
        return menu_from_results(results, stitches, costs)
    except ValueError as error:
        return menu_from_costs(stitches, costs, note=f'{error}. The slider stops at every stitch instead.')
