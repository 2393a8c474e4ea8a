"""``FrontBundle``: a folder of exported Pareto stitches; ``pick`` one for a budget."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .manifest import MANIFEST, BundleError, BundleStitch, file_sha256, read_manifest
from .runtime import cpu_session, import_onnxruntime


class StitchSession:
    """An onnxruntime session of one bundle stitch: ``session(images)`` runs it.

    Attributes:
        stitch: The stitch's manifest entry.
        session: The ``onnxruntime.InferenceSession``.
        input_name: The graph's input (float32 RGB images in 0..255, NCHW).
        output_names: The graph's outputs, as the manifest lists them.
    """

    def __init__(self, stitch: BundleStitch, session: Any, *, input_name: str, output_names: Sequence[str]) -> None:
        self.stitch = stitch
        self.session = session
        self.input_name = input_name
        self.output_names = list(output_names)

    def __call__(self, images: np.ndarray) -> dict[str, np.ndarray]:
        """Outputs by name for a batch of float32 RGB images in 0..255, shape (N, 3, H, W)."""
        images = np.asarray(images, dtype=np.float32)
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f'images: expected shape (N, 3, H, W), got {images.shape}')
        outputs = self.session.run(self.output_names, {self.input_name: images})
        return dict(zip(self.output_names, outputs))

    def __repr__(self) -> str:
        return f'StitchSession(stitch {self.stitch.index}: {self.stitch.route})'


class FrontBundle:
    """The Pareto stitches that ``tools/export_stitch.py --stitch front`` exported.

    Opening checks the manifest and every file's SHA-256 against it (``verify=False`` checks
    only that the files exist; the chosen file is still verified before it is loaded).

    Args:
        path: The bundle folder (holding ``manifest.json``).
        verify: Hash every file now.
        threads: onnxruntime intra-op threads (None: one per physical core).

    Raises:
        ImportError: onnxruntime is not installed (the message says how to install it).
        BundleError: A missing or malformed manifest, or a missing or altered file (named).
    """

    def __init__(self, path: str | Path, *, verify: bool = True, threads: int | None = None) -> None:
        import_onnxruntime()
        self.path = Path(path)
        self.manifest, self.stitches = read_manifest(self.path)
        self.threads = threads
        self._verified: set[str] = set()
        for stitch in self.stitches:
            if not (self.path / stitch.file).is_file():
                raise BundleError(f'bundle: {stitch.file} (stitch {stitch.index}, {stitch.route}) listed in '
                                  f'{MANIFEST} is missing from {str(self.path)!r}')
            if verify:
                self._verify(stitch)

    @property
    def task(self) -> str:
        return self.manifest['task']

    @property
    def metric(self) -> str:
        return self.manifest['metric']['name']

    @property
    def input_size(self) -> tuple[int, int]:
        """The (height, width) the stitches were exported and timed at."""
        return tuple(self.manifest['input']['size'])

    @property
    def classes(self) -> list[str] | None:
        return self.manifest.get('classes')

    def _verify(self, stitch: BundleStitch) -> None:
        if stitch.file in self._verified:
            return
        digest = file_sha256(self.path / stitch.file)
        if digest != stitch.sha256:
            raise BundleError(f'bundle: {stitch.file} (stitch {stitch.index}, {stitch.route}) was altered: its '
                              f'SHA-256 is {digest}, {MANIFEST} says {stitch.sha256}; export the bundle again')
        self._verified.add(stitch.file)

    def choose(self, *, max_gflops: float | None = None, max_latency_ms: float | None = None,
               min_metric: float | None = None) -> BundleStitch:
        """The stitch for a budget: with a ``max_*`` budget, the best metric among the stitches
        within every given limit; with only ``min_metric``, the fewest GFLOPs reaching it.

        Args:
            max_gflops: Most GFLOPs (as the sweep counted them).
            max_latency_ms: Most milliseconds per image (batch 1, as measured on export).
            min_metric: Quality floor in the metric's direction (for lower-is-better metrics
                such as RMSE, the largest acceptable value).

        Raises:
            ValueError: No limit, a limit that is not a finite number (>= 0 for budgets), or
                limits no stitch meets (naming the closest stitch).
        """
        limits = dict(max_gflops=max_gflops, max_latency_ms=max_latency_ms, min_metric=min_metric)
        limits = {k: v for k, v in limits.items() if v is not None}
        if not limits:
            raise ValueError('budget: give at least one of max_gflops, max_latency_ms, min_metric')
        for name, value in limits.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or (name.startswith('max_') and value < 0):
                raise ValueError(f'{name}: expected a finite number{" >= 0" if name.startswith("max_") else ""}, '
                                 f'got {value!r}')
        sign = 1.0 if self.manifest['metric']['higher_is_better'] else -1.0
        tests = dict(max_gflops=lambda s, v: s.gflops <= v, max_latency_ms=lambda s, v: s.latency_ms <= v,
                     min_metric=lambda s, v: s.metric is not None and sign * s.metric >= sign * v)
        for name, value in limits.items():
            if not any(tests[name](s, value) for s in self.stitches):
                raise ValueError(f'{name}: {value} is met by no stitch of the bundle ({self._closest(name)})')
        fits = [s for s in self.stitches if all(tests[n](s, v) for n, v in limits.items())]
        if not fits:
            raise ValueError(f'budget: no stitch of the bundle meets all of {limits} at once')
        if set(limits) == {'min_metric'}:
            return min(fits, key=lambda s: (s.gflops, s.latency_ms))
        return max(fits, key=lambda s: (-math.inf if s.metric is None else sign * s.metric, -s.gflops))

    def _closest(self, name: str) -> str:
        if name == 'max_gflops':
            s = min(self.stitches, key=lambda s: s.gflops)
            return f'the cheapest, stitch {s.index} {s.route!r}, has {s.gflops:.4g} GFLOPs'
        if name == 'max_latency_ms':
            s = min(self.stitches, key=lambda s: s.latency_ms)
            return f'the fastest, stitch {s.index} {s.route!r}, took {s.latency_ms:.4g} ms on export'
        sign = 1.0 if self.manifest['metric']['higher_is_better'] else -1.0
        s = max((s for s in self.stitches if s.metric is not None), key=lambda s: sign * s.metric, default=None)
        return 'none has a metric' if s is None else f'the best, stitch {s.index} {s.route!r}, has {self.metric} {s.metric:.4g}'

    def session(self, stitch: BundleStitch) -> StitchSession:
        """An onnxruntime session of ``stitch`` (its file verified against the manifest first)."""
        self._verify(stitch)
        return StitchSession(stitch, cpu_session(str(self.path / stitch.file), threads=self.threads),
                             input_name=self.manifest['input']['name'], output_names=self.manifest['outputs'])

    def pick(self, *, max_gflops: float | None = None, max_latency_ms: float | None = None,
             min_metric: float | None = None) -> StitchSession:
        """A session of the stitch ``choose`` returns for these limits."""
        return self.session(self.choose(max_gflops=max_gflops, max_latency_ms=max_latency_ms, min_metric=min_metric))

    def __repr__(self) -> str:
        return f'FrontBundle({str(self.path)!r}: {len(self.stitches)} {self.task} stitches)'
