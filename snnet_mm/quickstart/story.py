"""What the quickstart must show: the SN-Net story, summarised from a sweep's records."""
from __future__ import annotations

from typing import Any, Sequence

from ..stitching.pareto import higher_is_better


def summarize(records: Sequence[dict[str, Any]], metric: str) -> dict[str, Any]:
    """The anchors, the Pareto front and how the front covers the anchors' FLOPs range.

    Args:
        records: Sweep records with ``kind``, ``route``, ``flops``, ``pareto`` and ``metric``.
        metric: The metric the front was drawn for (higher is better, or lower for errors such
            as ``rmse``: ``snnet_mm.stitching.pareto.higher_is_better``).

    Returns:
        ``small`` / ``large`` (the anchor records by FLOPs), ``gap`` (how much better L is than
        S: L minus S, or S minus L for a lower-is-better metric), ``relative_gap`` (``gap`` over
        S's value), ``anchors_on_front``, ``front`` (front records by FLOPs), ``front_rises``
        (the front starts at the small anchor, ends at the large one and its metric improves
        strictly with FLOPs; stitches of equal FLOPs and equal metric are one point of the
        plot) and ``max_front_gap`` (the largest FLOPs step between neighbouring front points,
        as a fraction of the anchors' FLOPs range).
    """
    anchors = sorted((r for r in records if r['kind'] == 'anchor'), key=lambda r: r['flops'])
    if len(anchors) != 2:
        raise ValueError(f'records: expected two anchors, got {len(anchors)}')
    small, large = anchors
    sign = 1.0 if higher_is_better(metric) else -1.0
    front = sorted((r for r in records if r['pareto']), key=lambda r: (r['flops'], sign * r[metric]))
    points = sorted({(r['flops'], sign * r[metric]) for r in front})  # equal stitches: one point
    values = [m for _, m in points]
    flops = [r['flops'] for r in front]
    span = large['flops'] - small['flops']
    steps = [b - a for a, b in zip(flops, flops[1:])]
    gap = sign * (large[metric] - small[metric])
    return dict(
        small=small, large=large, gap=gap, relative_gap=gap / abs(small[metric]) if small[metric] else float('inf'),
        anchors_on_front=small['pareto'] and large['pareto'], front=front,
        front_rises=(front[0] is small and front[-1] is large
                     and all(b > a for a, b in zip(values, values[1:]))),
        max_front_gap=max(steps, default=span) / span)


def describe(summary: dict[str, Any], metric: str, *, unit: str = ' %', gap_unit: str = ' points',
             fmt: str = '.2f') -> str:
    """One line: both anchors, their gap, the front's size and its largest FLOPs step."""
    small, large = summary['small'], summary['large']
    gap = (f'L - S = {summary["gap"]:+{fmt}}{gap_unit}' if higher_is_better(metric) else
           f'S - L = {summary["gap"]:+{fmt}}{gap_unit}, {summary["relative_gap"] * 100:.0f} % of S')
    return (f'S {small[metric]:{fmt}}{unit} at {small["flops"] / 1e6:.2f} MFLOPs, L {large[metric]:{fmt}}{unit} at '
            f'{large["flops"] / 1e6:.2f} MFLOPs ({gap}); front: {len(summary["front"])} points, both anchors on '
            f'it: {summary["anchors_on_front"]}, rises from S to L: {summary["front_rises"]}, largest FLOPs step '
            f'{summary["max_front_gap"] * 100:.0f} % of the S-L range')
