"""Many stitches on one batch as a prefix tree: every distinct route prefix is computed once.

A stitch's route is a sequence of operations: the first anchor's embedding, then blocks of
each segment with a stitching layer between segments. Routes share prefixes (every route
starts with ``S[0:k]`` or ``L[0:k]`` and many continue alike), so the set of routes is a tree
whose nodes are distinct prefixes. ``PrefixTree.run`` walks it depth-first and yields each
stitch's output (logits, or dense outputs exactly as ``StitchedNetwork.forward`` returns
them) as soon as its route is finished, so the caller can consume and drop it.

The scheme needs nothing of a family but ``embed``, ``blocks`` and ``head``, so plain ViTs
(v1 and v2) and the hierarchical families (Swin, ResNet: v1 and v2 stitches, inside a stage) are all
supported; dense outputs are tapped at the same (segment, block) points as in ``forward``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import torch

from .cost import component_flops

if TYPE_CHECKING:
    from .network import StitchedNetwork

# ('embed', anchor) | ('layer', key) | ('block', anchor, block)
Op = tuple


def route_ops(stitch) -> tuple[Op, ...]:
    """The operations of a stitch's route, in execution order (the tree's edge labels)."""
    ops: list[Op] = [('embed', stitch.first_anchor)]
    for si, seg in enumerate(stitch.segments):
        if si:
            ops.append(('layer', stitch.layers[si - 1]))
        ops += [('block', seg.anchor, b) for b in range(seg.start, seg.end)]
    return tuple(ops)


def _op_positions(stitch) -> dict[tuple[int, int], int]:
    """Depth in the tree (1-based op count) of the output of (segment, block)."""
    positions, depth = {}, 1
    for si, seg in enumerate(stitch.segments):
        depth += bool(si)
        for b in range(seg.start, seg.end):
            depth += 1
            positions[(si, b)] = depth
    return positions


@dataclass(eq=False)
class _Node:
    op: Op | None
    depth: int
    children: dict[Op, '_Node'] = field(default_factory=dict)
    ends: list[int] = field(default_factory=list)  # stitches whose route ends here
    taps: set = field(default_factory=set)  # projection keys (None: the activation itself)
    leaves: int = 0

    def ordered(self) -> list['_Node']:
        """Children smallest subtree first: the largest runs last, after the activation is dropped."""
        return sorted(self.children.values(), key=lambda c: c.leaves)


class PrefixTree:
    """The prefix tree of a set of stitches of one ``StitchedNetwork``.

    Memory: children are visited smallest subtree first and a node's activation is released
    when its last (largest) child starts, so a pending activation is kept only for an ancestor
    whose largest branch has not started yet; each such ancestor at least halves the stitches
    below it. At most ``1 + floor(log2(n))`` block-boundary activations of the batch are alive at
    once for ``n`` stitches (``peak_activations`` gives the exact figure for this tree), plus the
    block being computed, the dense outputs tapped along the current path and the output being
    yielded. This holds under ``torch.no_grad()`` (autograd would keep every activation).

    Args:
        net: The stitched network.
        indices: Stitch indices to run (each once; order does not matter).

    Raises:
        ValueError: A bad or repeated stitch index.
    """

    def __init__(self, net: 'StitchedNetwork', indices: Sequence[int]) -> None:
        checked = [net.check_stitch_index(i, 'indices') for i in indices]
        if len(set(checked)) != len(checked):
            raise ValueError(f'indices: repeated stitch index in {list(indices)}')
        if not checked:
            raise ValueError('indices: expected at least one stitch index, got none')
        self.net = net
        self.indices = tuple(checked)
        self.root = _Node(None, 0)
        self._taps: dict[int, list[tuple[int, Any, tuple[int, ...]]]] = {}
        for index in self.indices:
            self._insert(index)

    def _insert(self, index: int) -> None:
        stitch = self.net.stitches[index]
        path, node = [self.root], self.root
        for op in route_ops(stitch):
            node = node.children.setdefault(op, _Node(op, node.depth + 1))
            path.append(node)
        node.ends.append(index)
        for n in path:
            n.leaves += 1
        positions = _op_positions(stitch)
        taps = []
        for at, groups in self.net._taps[index].items():
            depth = positions[at]
            for proj, slots in groups:
                path[depth].taps.add(proj)
                taps.append((depth, proj, slots))
        self._taps[index] = taps

    # ------------------------------------------------------------------ structure
    def nodes(self) -> Iterator[_Node]:
        """Every node but the root (each is one operation run once per batch)."""
        stack = list(self.root.children.values())
        while stack:
            node = stack.pop()
            yield node
            stack.extend(node.children.values())

    @property
    def num_ops(self) -> int:
        """Operations the tree runs per batch (embeddings, blocks, stitching layers)."""
        return sum(1 for _ in self.nodes())

    @property
    def peak_activations(self) -> int:
        """Most block-boundary activations alive at once during ``run`` (input excluded)."""
        peak, stack = 0, [(c, None) for c in reversed(self.root.ordered())]
        while stack:
            node, _ = stack.pop()
            pending = {id(parent) for _, parent in stack if parent is not None}
            peak = max(peak, len(pending | {id(node)}))
            stack.extend((c, node) for c in reversed(node.ordered()))
        return peak

    @property
    def activation_bound(self) -> int:
        """The documented bound ``1 + floor(log2(n))`` for ``n`` stitches."""
        return 1 + int(math.floor(math.log2(len(self.indices))))

    # ------------------------------------------------------------------ forward
    def run(self, x: torch.Tensor) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, output)`` for every stitch, depth-first.

        Each output equals ``net.forward`` of that stitch alone on ``x``: logits, or the list
        of dense outputs (NCHW maps, or ``(map, class_token)`` pairs with ``with_cls_token``).
        """
        hw = tuple(x.shape[-2:])
        stack = [(c, x, None) for c in reversed(self.root.ordered())]
        while stack:
            node, xin, chain = stack.pop()
            y = self._apply(node.op, xin)
            del xin
            if node.taps:
                chain = (node.depth, {p: y if p is None else self.net.stitch_layers[p](y) for p in node.taps}, chain)
            for index in node.ends:
                yield index, self._output(index, y, chain, hw)
            stack.extend((c, y, chain) for c in reversed(node.ordered()))
            del y, chain

    def _apply(self, op: Op, x: torch.Tensor) -> torch.Tensor:
        kind = op[0]
        if kind == 'embed':
            return self.net.anchors[op[1]].embed(x)
        if kind == 'layer':
            return self.net.stitch_layers[op[1]](x)
        return self.net.anchors[op[1]].blocks[op[2]](x)

    def _output(self, index: int, x: torch.Tensor, chain, hw: tuple[int, int]) -> Any:
        net = self.net
        stitch = net.stitches[index]
        if net.output == 'logits':
            return net.anchors[stitch.last_anchor].head(x)
        tapped = {}
        while chain is not None:
            depth, values, chain = chain
            tapped[depth] = values
        feats: list[torch.Tensor | None] = [None] * len(net.out_indices)
        for depth, proj, slots in self._taps[index]:
            for k in slots:
                feats[k] = tapped[depth][proj]
        grid = net.anchors[stitch.first_anchor].grid_size(hw)
        return net.to_maps(feats, net._out_layouts[index], grid)

    # ------------------------------------------------------------------ cost
    def flops(self, input_size: int | tuple[int, int]) -> 'TreeFlops':
        """FLOPs per image of this tree vs running its stitches one by one (per-component costs)."""
        costs = component_flops(self.net, input_size)
        heads = self.net.output == 'logits'

        def op_flops(op: Op) -> int:
            if op[0] == 'embed':
                return costs.embed[op[1]]
            if op[0] == 'layer':
                return costs.layers[op[1]]
            return costs.blocks[op[1]][op[2]]

        tree = sum(op_flops(n.op) + sum(costs.layers[p] for p in n.taps if p is not None) for n in self.nodes())
        separate = 0
        for index in self.indices:
            stitch = self.net.stitches[index]
            separate += sum(op_flops(op) for op in route_ops(stitch))
            separate += sum(costs.layers[p] for _, p, _ in self._taps[index] if p is not None)
            ends = costs.head[stitch.last_anchor] if heads else costs.out_norms
            tree, separate = tree + ends, separate + ends
        return TreeFlops(tree=int(tree), separate=int(separate))


@dataclass(frozen=True)
class TreeFlops:
    """FLOPs per image of a prefix tree (``tree``) and of its stitches run one by one."""

    tree: int
    separate: int

    @property
    def ratio(self) -> float:
        """Tree / one-by-one: the time ratio a compute-bound shared pass approaches."""
        return self.tree / self.separate


def split_by_prefix(net: 'StitchedNetwork', indices: Sequence[int], max_branches: int | None) -> list[list[int]]:
    """``indices`` in tree (route) order, cut into groups of at most ``max_branches`` stitches.

    Neighbours in route order share the longest prefixes, so each group keeps most sharing.
    ``None`` keeps one group.
    """
    if max_branches is not None and (isinstance(max_branches, bool) or not isinstance(max_branches, int)
                                     or max_branches < 1):
        raise ValueError(f'max_branches: expected a positive int (or None for one group), got {max_branches!r}')
    ordered = sorted(indices, key=lambda i: _sort_key(route_ops(net.stitches[i])))
    size = max_branches or max(len(ordered), 1)
    return [ordered[k:k + size] for k in range(0, len(ordered), size)]


def _sort_key(ops: tuple[Op, ...]) -> tuple:
    return tuple((op[0], str(op[1]), op[2] if len(op) > 2 else -1) for op in ops)
