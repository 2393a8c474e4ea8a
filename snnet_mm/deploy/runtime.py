"""onnxruntime, imported on use with an install hint; CPU sessions and their latency, measured one way."""
from __future__ import annotations

import importlib
import time
from types import ModuleType
from typing import Any

import numpy as np

INSTALL_HINT = "pip install 'snnet_mm[deploy]' (or: pip install onnxruntime)"


def import_onnxruntime() -> ModuleType:
    """The ``onnxruntime`` module.

    Raises:
        ImportError: onnxruntime is not installed; the message says how to install it.
    """
    try:
        return importlib.import_module('onnxruntime')
    except ImportError as exc:
        raise ImportError(f'onnxruntime is not installed ({exc}); install the deploy extra: {INSTALL_HINT}') from None


def cpu_session(path: str, *, threads: int | None = None) -> Any:
    """An ``onnxruntime.InferenceSession`` on the CPU provider with all graph optimisations.

    Args:
        path: The ONNX file.
        threads: Intra-op threads (None: onnxruntime's default, one per physical core).
    """
    ort = import_onnxruntime()
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f'threads: expected an int >= 1 or None, got {threads!r}')
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=['CPUExecutionProvider'])


def measure_latency_ms(session: Any, *, input_name: str, size: tuple[int, int], batch: int = 1,
                       warmup: int = 2, min_runs: int = 10, min_seconds: float = 0.5) -> float:
    """Median wall time of one ``session.run`` in milliseconds, on random images.

    Runs ``warmup`` untimed calls, then at least ``min_runs`` timed calls and until
    ``min_seconds`` have passed.
    """
    images = np.random.default_rng(0).uniform(0, 255, (batch, 3, *size)).astype(np.float32)
    for _ in range(warmup):
        session.run(None, {input_name: images})
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < min_seconds:
        t = time.perf_counter()
        session.run(None, {input_name: images})
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1e3)
