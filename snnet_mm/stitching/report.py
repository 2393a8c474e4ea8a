"""Per-stitch cost records and their text table."""
from __future__ import annotations

from typing import Any

from .cost import stitch_costs
from .network import StitchedViT


def cost_records(net: StitchedViT, input_size: int | tuple[int, int], *,
                 output: str | None = None) -> list[dict[str, Any]]:
    """One JSON-ready record per stitch: index, route, kind, flops, params."""
    costs = stitch_costs(net, input_size, output=output)
    return [dict(index=i, route=s.route, kind=s.kind, flops=c.flops, params=c.params)
            for i, (s, c) in enumerate(zip(net.stitches, costs))]


def format_cost_table(records: list[dict[str, Any]]) -> str:
    """Fixed-width table with GFLOPs and millions of parameters."""
    width = max([len('route')] + [len(r['route']) for r in records])
    lines = [f'{"index":>5}  {"kind":<6}  {"route":<{width}}  {"GFLOPs":>9}  {"params(M)":>9}']
    for r in records:
        lines.append(f'{r["index"]:>5}  {r["kind"]:<6}  {r["route"]:<{width}}  '
                     f'{r["flops"] / 1e9:>9.3f}  {r["params"] / 1e6:>9.2f}')
    return '\n'.join(lines)
