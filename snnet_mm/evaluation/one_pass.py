"""One pass over the test data for a group of stitches, sharing everything a stitch does not change.

Per batch the data preprocessor runs once; each stitch then runs the model's own ``predict``
(so slide inference, necks, heads and post-processing are the task's) on its own deep copy of
the data samples, and its own deep copy of the configured evaluator accumulates the result.
The backbone is shared through ``SharedBackbonePass``: the first stitch's call on an input
(a whole batch, or one slide window) runs the prefix tree of the whole group on it; the other
stitches' calls on an equal input take their output from it.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch
from mmengine.model import BaseModel
from mmengine.runner.amp import autocast

from ..models.wrapped import unwrap_model
from ..stitching.prefix_tree import PrefixTree
from .reporting import captured_tables, write_tables_text


def _tensors(out: Any) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    return [t for item in out for t in _tensors(item)] if isinstance(out, (list, tuple)) else []


class SharedBackbonePass:
    """Backbone outputs of a group of stitches, computed once per distinct backbone input.

    Installed as ``SNNetv2.shared_pass``; ``SNNetv2.forward`` then calls it with the stitched
    network and its input. An input equal to one already seen in this batch (same shape, dtype,
    device and values: slide windows are cropped again by each stitch's ``predict``) gets the
    current stitch's output from the tree run on it. The tree runs only on the group's first
    stitch's calls; any other call without a cached output (an input the first stitch never
    saw, or an output changed in place by an earlier consumer) runs that stitch alone, so the
    outputs are always exactly the stitch's own.

    Args:
        indices: The group's stitches; ``indices[0]`` is the first to run on each batch.
    """

    def __init__(self, indices: Sequence[int]) -> None:
        self.indices = tuple(indices)
        self._entries: list[tuple[torch.Tensor, dict[int, tuple[Any, list[int]]]]] = []
        self.tree_runs = 0
        self.alone_runs = 0

    def new_batch(self) -> None:
        """Forget the previous batch's inputs and outputs."""
        self._entries.clear()

    def __call__(self, net, x: torch.Tensor) -> Any:
        index = net.current_stitch
        outputs = self._find(x)
        if outputs is None and index == self.indices[0]:
            tree = PrefixTree(net, self.indices)
            outputs = {i: (out, [t._version for t in _tensors(out)]) for i, out in tree.run(x)}
            self._entries.append((x, outputs))
            self.tree_runs += 1
        cached = None if outputs is None else outputs.pop(index, None)
        if cached is None or [t._version for t in _tensors(cached[0])] != cached[1]:
            self.alone_runs += 1
            return net(x)
        return cached[0]

    def _find(self, x: torch.Tensor) -> dict | None:
        for seen, outputs in self._entries:
            if seen is x or (seen.shape == x.shape and seen.dtype == x.dtype and seen.device == x.device
                             and torch.equal(seen, x)):
                return outputs
        return None


@dataclass
class GroupResult:
    """Metrics of each stitch of a group and what the shared pass cost."""

    metrics: dict[int, dict[str, Any]] = field(default_factory=dict)
    tables: dict[int, list[str]] = field(default_factory=dict)  # text tables each evaluator logged
    wall_s: float = 0.0
    batches: int = 0
    tree_runs: int = 0
    alone_runs: int = 0


def supports_one_pass(model) -> bool:
    """Whether ``model.test_step`` is MMEngine's (preprocess, then predict), which one pass splits."""
    module = unwrap_model(model)
    return isinstance(module, BaseModel) and type(module).test_step is BaseModel.test_step


def run_group(runner, backbone, indices: Sequence[int]) -> GroupResult:
    """Evaluate stitches ``indices`` in one pass over the test dataloader; ``finish_group`` ends it.

    Hooks see the pass as each stitch's test run: ``before_test``/``before_test_epoch`` once,
    ``before_test_iter``/``after_test_iter`` per batch and stitch here; ``after_test_epoch``
    with each stitch's metrics and ``after_test`` in ``finish_group``. Text tables the
    evaluators log are kept in ``GroupResult.tables``: nothing is written to disk here, so the
    caller can save the group's records before any table or hook output (a full disk then
    loses no finished evaluation).
    """
    loop = runner.test_loop
    model = runner.model
    module = unwrap_model(model)
    evaluators = {i: copy.deepcopy(loop.evaluator) for i in indices}
    shared = SharedBackbonePass(indices)
    result = GroupResult()
    runner.call_hook('before_test')
    runner.call_hook('before_test_epoch')
    model.eval()
    start = time.perf_counter()
    backbone.shared_pass = shared
    try:
        for idx, data_batch in enumerate(loop.dataloader):
            shared.new_batch()
            _run_batch(runner, module, backbone, evaluators, idx, data_batch, fp16=loop.fp16)
            result.batches += 1
        shared.new_batch()
    finally:
        backbone.shared_pass = None
    size = len(loop.dataloader.dataset)
    for i in indices:
        with captured_tables() as tables:
            backbone.set_stitch(i)
            result.metrics[i] = evaluators[i].evaluate(size)
        result.tables[i] = tables
    result.wall_s = time.perf_counter() - start
    result.tree_runs, result.alone_runs = shared.tree_runs, shared.alone_runs
    return result


def finish_group(runner, backbone, result: GroupResult, tables_dir: Path) -> None:
    """Per stitch of ``result``: its text tables to ``tables_dir/stitch_<i>.txt`` and the
    ``after_test_epoch`` hooks with its metrics; then ``after_test``."""
    for i, metrics in result.metrics.items():
        write_tables_text(tables_dir / f'stitch_{i}.txt', result.tables.get(i, []))
        backbone.set_stitch(i)
        runner.call_hook('after_test_epoch', metrics=metrics)
    runner.call_hook('after_test')


@torch.no_grad()
def _run_batch(runner, module, backbone, evaluators: dict, idx: int, data_batch: Any, *, fp16: bool) -> None:
    with autocast(enabled=fp16):
        data = module.data_preprocessor(data_batch, False)
    for i, evaluator in evaluators.items():
        backbone.set_stitch(i)
        runner.call_hook('before_test_iter', batch_idx=idx, data_batch=data_batch)
        own = _own_samples(data)
        with autocast(enabled=fp16):
            outputs = module._run_forward(own, mode='predict')
        evaluator.process(data_samples=outputs, data_batch=data_batch)
        runner.call_hook('after_test_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)


def _own_samples(data: Any) -> Any:
    """The preprocessed batch with the stitch's own copy of the data samples (predict fills them in)."""
    if isinstance(data, dict) and 'data_samples' in data:
        return {**data, 'data_samples': copy.deepcopy(data['data_samples'])}
    if isinstance(data, (list, tuple)) and len(data) == 2:
        return type(data)((data[0], copy.deepcopy(data[1])))
    return data
