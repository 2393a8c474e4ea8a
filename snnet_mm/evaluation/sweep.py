"""Evaluate every stitch of a trained model through the config's own test loop.

The runner, its model, test dataloader and evaluator are built once. In ``'one-pass'`` mode
(default) stitches are evaluated in groups of at most ``max_branches`` (neighbours in route
order, so they share long prefixes): one pass over the test data per group, the data
preprocessed once per batch and the backbone run as a prefix tree (``one_pass.py``), each
stitch with its own copy of the evaluator. In ``'per-stitch'`` mode the test loop runs once
per stitch. Either way each record has the metrics, FLOPs and params at the test input size,
the median latency per image of the stitch timed alone, and the wall time of the pass that
evaluated it (``pass_wall_s``, shared by ``pass_stitches`` stitches).
"""
from __future__ import annotations

import contextlib
import math
import numbers
import statistics
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
from mmengine.dist import broadcast_object_list, get_rank, is_main_process
from mmengine.logging import MMLogger

from ..engine import find_stitched_backbone
from ..interop.stitch_ids import official_ids
from ..interop.v1_ids import v1_ids
from ..models.wrapped import unwrap_model
from ..stitching.pareto import metric_names, pareto_front, resolve_metric
from ..stitching.sweep_records import HEADER_KEY, read_records, read_results
from ..utils.checks import check_int, check_one_of
from .fingerprint import difference, sweep_fingerprint
from .lock import WorkDirLock
from .model_flops import ModelCost, model_costs
from .one_pass import finish_group, run_group, supports_one_pass
from .plot import plot_front
from .reporting import tables_to_file
from .results import append_record, repair, start_results, write_tables

RESULTS_FILE = 'sweep_results.jsonl'
MODES = ('one-pass', 'per-stitch')
DEFAULT_MAX_BRANCHES = 32


def check_iterations(**counts: int) -> None:
    """Each count (``latency_iters``, ``warmup_iters``) is an int >= 0, else a ValueError naming it."""
    for name, value in counts.items():
        check_int(value, name, minimum=0)


def check_grouping(mode: str, max_branches: int) -> None:
    """``mode`` is one of ``MODES`` and ``max_branches`` an int >= 1, else a ValueError naming it."""
    check_one_of(mode, 'mode', MODES)
    check_int(max_branches, 'max_branches', minimum=1)


class StitchSweep:
    """Drives a built MMEngine runner through many stitches.

    Args:
        runner: A runner built from the task config with ``load_from`` set to the checkpoint.
        work_dir: Where ``sweep_results.jsonl`` and the final tables go.
        latency_iters: Timed forward passes per stitch (0 skips latency).
        warmup_iters: Untimed passes before timing.
        mode: ``'one-pass'`` (a group of stitches per pass over the data) or ``'per-stitch'``.
        max_branches: One-pass mode: most stitches per group (memory: one evaluator copy and
            one backbone output per window of a batch per stitch of the group). A group is also
            the unit of resume: its records are appended when the whole group has finished.
    """

    def __init__(self, runner, work_dir: str | Path, *, latency_iters: int = 10, warmup_iters: int = 2,
                 mode: str = 'one-pass', max_branches: int = DEFAULT_MAX_BRANCHES) -> None:
        check_iterations(latency_iters=latency_iters, warmup_iters=warmup_iters)
        check_grouping(mode, max_branches)
        self.runner = runner
        self.work_dir = Path(work_dir)
        self.results_path = self.work_dir / RESULTS_FILE
        self.latency_iters = latency_iters
        self.warmup_iters = warmup_iters
        self.logger = MMLogger.get_current_instance()
        runner._test_loop = runner.build_test_loop(runner._test_loop)
        runner.call_hook('before_run')
        runner.load_or_resume()
        self.model = runner.model
        self.backbone = find_stitched_backbone(self.model)
        self._first_batch = next(iter(runner.test_loop.dataloader))
        self._input_size = self._test_input_size()
        self._costs = self._model_costs()
        self._official_ids = official_ids(self.backbone.net.space.depths, self.backbone.stitches)
        self._v1_ids = v1_ids(self.backbone.stitches)  # SN-Net v1 cfg_ids (all None outside v1 spaces)
        self._fingerprint: dict[str, Any] | None = None
        self.evaluated: list[int] = []  # stitches evaluated (not resumed) by this object's runs
        self._unfinished: list = []  # one-pass groups whose tables and hooks wait for their records to be saved
        self._in_run = False
        self.mode, self.max_branches = mode, max_branches
        if mode == 'one-pass' and not supports_one_pass(self.model):
            self.logger.warning(f'{type(self._module()).__name__} overrides test_step (test-time augmentation?); '
                                'evaluating stitch by stitch (--mode per-stitch)')
            self.mode = 'per-stitch'

    # -------------------------------------------------------------- costs
    def _module(self):
        return unwrap_model(self.model)

    def _test_input_size(self) -> tuple[int, int]:
        """Input size the test loop runs the model at (the window for sliding-window tests)."""
        model = self._module()
        test_cfg = getattr(model, 'test_cfg', None) or {}
        if test_cfg.get('mode') in ('slide', 'slide_flip'):
            return tuple(test_cfg['crop_size'])
        with torch.no_grad():
            inputs = model.data_preprocessor(self._first_batch, False)['inputs']
        return (int(inputs[0].shape[-2]), int(inputs[0].shape[-1]))

    def _model_costs(self) -> list[ModelCost]:
        """Whole-model costs per stitch: the numbers tools/stitch_flops.py reports."""
        try:
            return model_costs(self._module(), self._input_size)
        except Exception as exc:  # noqa: BLE001 - report the backbone's costs, and say so
            self.logger.warning(f'could not count the FLOPs of the whole model ({exc!r}); '
                                'flops and params will be the backbone\'s alone')
            return [ModelCost(flops=c.flops, backbone_flops=c.flops, params=c.params)
                    for c in self.backbone.stitch_costs(self._input_size)]

    # -------------------------------------------------------------- per stitch
    def _latency_ms(self) -> float | None:
        if not self.latency_iters:
            return None
        model = self.model
        batch = self._first_batch
        num_images = len(batch['data_samples']) if 'data_samples' in batch else len(batch['inputs'])
        device = next(self._module().parameters()).device
        times = []
        with torch.no_grad():
            for i in range(self.warmup_iters + self.latency_iters):
                if device.type == 'cuda':
                    torch.cuda.synchronize(device)
                start = time.perf_counter()
                model.test_step(batch)
                if device.type == 'cuda':
                    torch.cuda.synchronize(device)
                if i >= self.warmup_iters:
                    times.append(time.perf_counter() - start)
        return 1e3 * statistics.median(times) / num_images

    def evaluate(self, index: int) -> dict[str, Any]:
        """Set stitch ``index``, run the test loop, return its record."""
        self.backbone.set_stitch(index)
        start = time.perf_counter()
        with tables_to_file(self.work_dir / 'per_class' / f'stitch_{index}.txt', self.logger):
            metrics = self.runner.test_loop.run()
        return self._record(index, metrics, time.perf_counter() - start, 1)

    def evaluate_group(self, indices: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Evaluate ``indices`` in one pass over the test data; their records by index.

        Within ``run`` the group's per-class tables and ``after_test_epoch`` hooks wait until
        its records are in the results file (``_finish_group``); called alone, they run here.
        """
        result = run_group(self.runner, self.backbone, indices)
        self._unfinished.append(result)
        if not self._in_run:
            self._finish_group()
        self.logger.info(f'one pass over {result.batches} batches for stitches {list(indices)}: {result.wall_s:.1f} s; '
                         f'backbone prefix tree ran {result.tree_runs} times, {result.alone_runs} backbone calls ran '
                         'a stitch alone')
        return {i: self._record(i, result.metrics[i], result.wall_s, len(indices)) for i in indices}

    def _finish_group(self) -> None:
        while self._unfinished:
            finish_group(self.runner, self.backbone, self._unfinished.pop(0), self.work_dir / 'per_class')

    def _record(self, index: int, metrics: dict[str, Any], pass_wall_s: float, pass_stitches: int) -> dict[str, Any]:
        self.backbone.set_stitch(index)
        cost = self._costs[index]
        stitch = self.backbone.stitches[index]
        record = dict(index=index, official_id=self._official_ids[index], route=stitch.route, kind=stitch.kind,
                      flops=cost.flops, backbone_flops=cost.backbone_flops, params=cost.params,
                      latency_ms=self._latency_ms(), pass_wall_s=round(pass_wall_s, 3), pass_stitches=pass_stitches)
        if any(v is not None for v in self._v1_ids):
            record['v1_id'] = self._v1_ids[index]
        record.update({k: f for k, v in metrics.items() if (f := _as_float(v)) is not None})
        return record

    def _units(self, todo: Sequence[int]) -> list[list[int]]:
        """Stitches evaluated (and appended to the results file) together."""
        if self.mode == 'per-stitch':
            return [[i] for i in todo]
        from ..stitching.prefix_tree import split_by_prefix
        return split_by_prefix(self.backbone.net, todo, self.max_branches)

    def run(self, stitches: Sequence[int], *, resume: bool = False,
            progress: Callable[[int, int, dict], None] | None = None,
            metric: str | None = None) -> list[dict[str, Any]]:
        """Evaluate ``stitches``, appending records to the results file as each unit finishes.

        A unit is one stitch (``'per-stitch'``) or one group (``'one-pass'``): a killed sweep
        loses at most the unit it was in. ``progress`` is called for every stitch, resumed ones
        first, then per finished unit in the order of ``stitches``. With ``resume`` the stitches
        already in the results file are kept and skipped; without it an existing results file is an error (nothing is overwritten), and so is resuming
        results whose fingerprint (checkpoint content, test settings, input size, versions)
        differs. The work dir is locked for the duration of the sweep. A ``metric`` (the
        front's) that the evaluator does not report is an error as soon as a record is known:
        at once for resumed records, else after the first unit (whose records are kept).
        """
        lock = WorkDirLock(self.work_dir) if is_main_process() else contextlib.nullcontext()
        with lock:
            done = _shared(lambda: self._prepare(resume))
            stitches = list(dict.fromkeys(stitches))
            position = {index: k for k, index in enumerate(stitches)}
            todo = [i for i in stitches if i not in done]
            reported = [i for i in stitches if i in done]
            previous = self.backbone.current_stitch
            self._in_run = True
            try:
                self._report(reported, done, len(stitches), progress)
                _check_metric(done, metric)
                for unit in self._units(todo):
                    new = self.evaluate_group(unit) if self.mode == 'one-pass' else {unit[0]: self.evaluate(unit[0])}
                    unit = sorted(unit, key=position.get)
                    for index in unit:
                        done[index] = new[index]
                        self.evaluated.append(index)
                        if is_main_process():
                            append_record(self.results_path, done[index])
                    self._finish_group()  # per-class tables and hooks only once the records are safe
                    reported += unit
                    self._report(reported, done, len(stitches), progress, start=len(reported) - len(unit))
                    _check_metric(done, metric)
            finally:
                self._in_run = False
                self._unfinished.clear()
                self.backbone.set_stitch(previous)
        self.runner.call_hook('after_run')
        return [done[i] for i in stitches]

    @staticmethod
    def _report(reported: list[int], done: dict, total: int, progress, start: int = 0) -> None:
        if progress is not None and get_rank() == 0:
            for k in range(start, len(reported)):
                progress(k + 1, total, done[reported[k]])

    @property
    def fingerprint(self) -> dict[str, Any]:
        """What determines this sweep's results (computed once: it hashes the checkpoint)."""
        if self._fingerprint is None:
            device = next(self._module().parameters()).device
            self._fingerprint = sweep_fingerprint(self.runner.cfg, checkpoint=self.runner.cfg.get('load_from'),
                                                  input_size=self._input_size, device=device)
        return self._fingerprint

    def mismatch(self) -> str | None:
        """Why the work dir's results cannot be resumed by this sweep (None: they can, or there are none)."""
        header, records = read_results(self.results_path)
        if not records:
            return None
        if header is None:
            return (f'{self.results_path} was written without a fingerprint (by an older snnet_mm or by hand), so '
                    'nothing says which checkpoint and settings its results belong to')
        diff = difference(header[HEADER_KEY], self.fingerprint)
        if diff is None:
            return None
        return f'{self.results_path} holds results of another sweep: {diff}'

    def all_records(self) -> list[dict[str, Any]]:
        """Every record of the results file, by stitch index (a later record of an index wins)."""
        return sorted({r['index']: r for r in read_records(self.results_path)}.values(), key=lambda r: r['index'])

    def _prepare(self, resume: bool) -> dict[int, dict[str, Any]]:
        """The records to keep, after checking and repairing the results file (main process)."""
        header, records = read_results(self.results_path)
        if records and not resume:
            raise ValueError(f'work_dir: {self.results_path} already holds {len(records)} stitches; '
                             'pass --resume to continue it or choose another --work-dir')
        reason = self.mismatch()
        if reason is not None:
            raise ValueError(f'resume: {reason}; resume with the same checkpoint and settings or choose another '
                             '--work-dir')
        if not records:
            start_results(self.results_path, {HEADER_KEY: self.fingerprint})
        else:
            repair(self.results_path)
        return {r['index']: r for r in records}


def _check_metric(done: dict[int, dict[str, Any]], metric: str | None) -> None:
    """A ``metric`` none of the ``done`` records reports is a ValueError listing the reported ones."""
    if metric is not None and done:
        try:
            resolve_metric(list(done.values()), metric)
        except ValueError as exc:
            raise ValueError(f'--{exc}; the records of the stitches evaluated so far are kept (add --resume)') from None


def _shared(prepare: Callable[[], Any]) -> Any:
    """``prepare()`` on the main process; its result (or its error) on every rank."""
    payload: list[Any] = [None]
    if is_main_process():
        try:
            payload[0] = ('ok', prepare())
        except (ValueError, RuntimeError) as exc:
            payload[0] = ('error', exc)
    broadcast_object_list(payload, src=0)
    status, value = payload[0]
    if status == 'error':
        raise value
    return value


def save_results(records: list[dict[str, Any]], work_dir: str | Path, metric: str | None = None, *,
                 fingerprint: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], str, dict[str, Path]]:
    """Flag the Pareto front and write ``stitches.json`` (with the sweep's ``fingerprint``),
    ``stitches.csv`` and ``pareto.png``, each replaced atomically."""
    records, metric = finalize(records, metric)
    json_path, csv_path = write_tables(records, work_dir, fingerprint)
    png = plot_front(records, metric, Path(work_dir) / 'pareto.png')
    return records, metric, dict(json=json_path, csv=csv_path, png=png)


def _as_float(value: Any) -> float | None:
    """A scalar metric as a float (python, numpy or 0-d tensor); None for anything else."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.item())
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(str(value))  # str: the shortest repr, so float32 79.61 stays 79.61
    return None


def finalize(records: list[dict[str, Any]], metric: str | None = None) -> tuple[list[dict[str, Any]], str]:
    """Add the ``pareto`` flag for ``metric`` (default: the primary metric) to every record.

    A stitch whose evaluation reported no value for the metric (e.g. CocoMetric with no
    detections at all) is kept in the table but never on the front. So is a stitch with a NaN
    or infinite metric (it diverged): its record gets ``non_finite`` (the metrics concerned) and
    a warning names it.
    """
    metric = resolve_metric(records, metric)
    flags = pareto_front(records, metric)
    marked = []
    for r, on in zip(records, flags):
        bad = [k for k in metric_names([r]) if isinstance(r[k], float) and not math.isfinite(r[k])]
        marked.append({**r, 'pareto': on, **({'non_finite': bad} if bad else {})})
    diverged = [r for r in marked if metric in r.get('non_finite', ())]
    if diverged:
        MMLogger.get_current_instance().warning(
            f'stitches {[r["index"] for r in diverged]} have a non-finite {metric} '
            f'({", ".join(str(r[metric]) for r in diverged)}): they diverged; kept in the table (non_finite), '
            'never on the Pareto front nor selected by a budget')
    return marked, metric
