"""Evaluate every stitch of a trained model through the config's own test loop.

The runner, its model, test dataloader and evaluator are built once; per stitch the sweep sets
the stitch, runs the test loop (whatever metrics the evaluator reports), and records FLOPs and
params at the test input size and the median latency per image.
"""
from __future__ import annotations

import numbers
import os
import statistics
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
from mmengine.dist import get_rank, is_main_process
from mmengine.logging import MMLogger
from mmengine.model import is_model_wrapper

from ..engine import find_stitched_backbone
from ..interop.stitch_ids import official_ids
from ..stitching.cost import FlopCounter
from .pareto import metric_names, pareto_front, primary_metric
from .plot import plot_front
from .reporting import tables_to_file
from .results import append_record, read_records, write_tables

RESULTS_FILE = 'sweep_results.jsonl'


class StitchSweep:
    """Drives a built MMEngine runner through many stitches.

    Args:
        runner: A runner built from the task config with ``load_from`` set to the checkpoint.
        work_dir: Where ``sweep_results.jsonl`` and the final tables go.
        latency_iters: Timed forward passes per stitch (0 skips latency).
        warmup_iters: Untimed passes before timing.
    """

    def __init__(self, runner, work_dir: str | Path, *, latency_iters: int = 10, warmup_iters: int = 2) -> None:
        if latency_iters < 0 or warmup_iters < 0:
            raise ValueError(f'latency_iters: expected >= 0, got {latency_iters} (warm-up {warmup_iters})')
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
        self.checkpoint = _fingerprint(runner.cfg.get('load_from'))
        self.backbone = find_stitched_backbone(self.model)
        self._first_batch = next(iter(runner.test_loop.dataloader))
        self._input_size, self._rest_flops = self._measure_rest_flops()
        self._rest_params = self._count_rest_params()
        self._official_ids = official_ids(self.backbone.net.space.depths, self.backbone.stitches)

    # -------------------------------------------------------------- costs
    def _module(self):
        return self.model.module if is_model_wrapper(self.model) else self.model

    def _measure_rest_flops(self) -> tuple[tuple[int, int], int | None]:
        """Input size of the test loop and the FLOPs of everything but the backbone (per image)."""
        model = self._module()
        with torch.no_grad():
            data = model.data_preprocessor(self._first_batch, False)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        test_cfg = getattr(model, 'test_cfg', None) or {}
        samples = data.get('data_samples')
        if test_cfg.get('mode') in ('slide', 'slide_flip'):  # sliding windows: the model runs on crops
            ch, cw = test_cfg['crop_size']
            inputs, samples = inputs[:1, :, :ch, :cw], None
            inputs = torch.nn.functional.pad(inputs, (0, cw - inputs.shape[-1], 0, ch - inputs.shape[-2]))
        size = (int(inputs.shape[-2]), int(inputs.shape[-1]))
        model.eval()
        try:
            with torch.no_grad(), FlopCounter() as counter:
                model._run_forward(dict(inputs=inputs, data_samples=samples), mode='tensor')
        except Exception as exc:  # noqa: BLE001 - report backbone FLOPs only, and say so
            self.logger.warning(f'could not count the FLOPs of the model outside the backbone ({exc!r}); '
                                'flops will be the backbone\'s alone')
            return size, None
        per_image = counter.flops / inputs.shape[0]
        return size, int(per_image - self.backbone.stitch_costs(size)[self.backbone.current_stitch].flops)

    def _count_rest_params(self) -> int:
        total = sum(p.numel() for p in self._module().parameters())
        return total - sum(p.numel() for p in self.backbone.parameters())

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
        with tables_to_file(self.work_dir / 'per_class' / f'stitch_{index}.txt', self.logger):
            metrics = self.runner.test_loop.run()
        cost = self.backbone.stitch_costs(self._input_size)[index]
        stitch = self.backbone.stitches[index]
        record = dict(index=index, official_id=self._official_ids[index], route=stitch.route, kind=stitch.kind,
                      checkpoint=self.checkpoint,
                      flops=cost.flops + (self._rest_flops or 0), backbone_flops=cost.flops,
                      params=cost.params + self._rest_params, latency_ms=self._latency_ms())
        record.update({k: f for k, v in metrics.items() if (f := _as_float(v)) is not None})
        return record

    def run(self, stitches: Sequence[int], *, resume: bool = False,
            progress: Callable[[int, int, dict], None] | None = None) -> list[dict[str, Any]]:
        """Evaluate ``stitches`` in order, appending each record to the results file.

        With ``resume`` the stitches already in the results file are kept and skipped; without
        it an existing results file is an error (nothing is overwritten), and so is resuming
        results made with another checkpoint.
        """
        done = {r['index']: r for r in read_records(self.results_path)}
        if done and not resume:
            raise ValueError(f'work_dir: {self.results_path} already holds {len(done)} stitches; '
                             'pass --resume to continue it or choose another --work-dir')
        stale = {r.get('checkpoint') for r in done.values()} - {self.checkpoint}
        if stale:
            raise ValueError(f'checkpoint: {self.results_path} holds results of {sorted(map(str, stale))}, not '
                             f'{self.checkpoint}; choose another --work-dir')
        self.work_dir.mkdir(parents=True, exist_ok=True)
        records = []
        previous = self.backbone.current_stitch
        try:
            for k, index in enumerate(stitches, start=1):
                if index not in done:
                    done[index] = self.evaluate(index)
                    if is_main_process():
                        append_record(self.results_path, done[index])
                records.append(done[index])
                if progress is not None and get_rank() == 0:
                    progress(k, len(stitches), done[index])
        finally:
            self.backbone.set_stitch(previous)
        self.runner.call_hook('after_run')
        return records


def _fingerprint(path: str | None) -> str | None:
    """``path@mtime``: a retrained checkpoint at the same path is another checkpoint."""
    if not path or not os.path.exists(path):
        return path
    return f'{path}@{os.stat(path).st_mtime_ns}'


def save_results(records: list[dict[str, Any]], work_dir: str | Path,
                 metric: str | None = None) -> tuple[list[dict[str, Any]], str, dict[str, Path]]:
    """Flag the Pareto front and write ``stitches.json``, ``stitches.csv`` and ``pareto.png``."""
    records, metric = finalize(records, metric)
    json_path, csv_path = write_tables(records, work_dir)
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
    detections at all) is kept in the table but never on the front.
    """
    names = metric_names(records)
    metric = metric or primary_metric(names)
    if metric not in names:
        raise ValueError(f'metric: {metric!r} is not among the reported metrics {names}')
    scored = [r for r in records if metric in r]
    flags = dict(zip((r['index'] for r in scored), pareto_front(scored, metric)))
    return [{**r, 'pareto': flags.get(r['index'], False)} for r in records], metric
