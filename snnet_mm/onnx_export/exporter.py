"""``torch.onnx`` export at a pinned opset (18), checked in onnxruntime before it counts.

torch has two exporters and both trace timm's fused ``scaled_dot_product_attention`` and mmseg's
``resize`` with onnxruntime matching PyTorch to ~1e-6. At a fixed input size the TorchScript one
(``dynamo=False``) is the default: it exports a tiny stitch in ~1 s where the dynamo one takes
5-40 s (2-core CPU), which matters for a front of dozens of stitches. Dynamic height and width
need the dynamo one: the TorchScript tracer bakes timm's position-embedding resampling into the
graph at the traced size (onnxruntime then fails at any other size). The batch axis is always
dynamic.
"""
from __future__ import annotations

import contextlib
import io
import logging
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from ..deploy.runtime import cpu_session

OPSET = 18
INPUT_NAME = 'image'


class ParityError(AssertionError):
    """onnxruntime's outputs differ from PyTorch's by more than the tolerance."""


def random_images(batch: int, size: tuple[int, int], *, seed: int = 0) -> torch.Tensor:
    """Float32 RGB images in 0..255, NCHW (what the exported graphs take), reproducible."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(batch, 3, *size, generator=generator) * 255


def _flat(out: Any) -> list[torch.Tensor]:
    return [out] if isinstance(out, torch.Tensor) else [t for o in out for t in _flat(o)]


def relative_error(ours: Sequence[np.ndarray], reference: Sequence[np.ndarray]) -> float:
    """Largest |ours - reference| over every output, each relative to its largest |reference|."""
    errors = [float(np.abs(a - b).max() / max(float(np.abs(b).max()), np.finfo(np.float32).tiny))
              for a, b in zip(ours, reference)]
    return max(errors)


EXPORTERS = ('torchscript', 'dynamo')


class _SlicedAdaptiveAvgPool2d(nn.Module):
    """``nn.AdaptiveAvgPool2d`` as slices and means at the traced size, in torch's windows
    (rows ``floor(i*H/n)`` to ``ceil((i+1)*H/n)``): the TorchScript exporter refuses adaptive
    pooling once the batch axis is dynamic (mmseg's PPM in UperNet)."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for axis, n in ((-2, self.output_size[0]), (-1, self.output_size[1])):
            size = int(x.shape[axis])
            n = size if n is None else n
            x = torch.cat([x.narrow(axis, i * size // n, -(-(i + 1) * size // n) - i * size // n).mean(axis, keepdim=True)
                           for i in range(n)], dim=axis)
        return x


@contextlib.contextmanager
def _traceable(graph: nn.Module):
    """``graph`` with its adaptive average pools sliced (restored afterwards)."""
    swapped = []
    for parent in graph.modules():
        for name, child in parent.named_children():
            if type(child) is nn.AdaptiveAvgPool2d:
                swapped.append((parent, name, child))
                setattr(parent, name, _SlicedAdaptiveAvgPool2d(child.output_size))
    try:
        yield graph
    finally:
        for parent, name, child in swapped:
            setattr(parent, name, child)


def _export(graph: nn.Module, path: Path, example: torch.Tensor, output_names: list[str], *, dynamic_size: bool,
            exporter: str) -> None:
    if exporter not in EXPORTERS:
        raise ValueError(f'exporter: expected one of {EXPORTERS}, got {exporter!r}')
    spatial = {2: 'height', 3: 'width'} if dynamic_size else {}
    # The exporters report progress on stdout and warn about their own internals (tracer
    # warnings, deprecation): a library prints nothing, so both are kept for the error only.
    log = io.StringIO()
    logger = logging.getLogger('torch.onnx')
    level = logger.level
    with warnings.catch_warnings(), contextlib.redirect_stdout(log):
        warnings.simplefilter('ignore')
        logger.setLevel(logging.ERROR)
        try:
            if exporter == 'dynamo':
                dims: dict[int, Any] = {0: torch.export.Dim('batch', min=1, max=4096)}
                dims.update({axis: torch.export.Dim.AUTO for axis in spatial})
                program = torch.onnx.export(graph, (example,), dynamo=True, opset_version=OPSET,
                                            input_names=[INPUT_NAME], output_names=output_names,
                                            dynamic_shapes=(dims,), external_data=False, optimize=True)
                program.save(str(path), external_data=False)
            else:
                axes = {INPUT_NAME: {0: 'batch', **spatial}}
                axes.update({name: {0: 'batch'} for name in output_names})
                with _traceable(graph):
                    torch.onnx.export(graph, (example,), str(path), dynamo=False, opset_version=OPSET,
                                      input_names=[INPUT_NAME], output_names=output_names, dynamic_axes=axes,
                                      do_constant_folding=True)
        except Exception as exc:
            raise RuntimeError(f'torch.onnx.export ({exporter}) failed: {type(exc).__name__}: {exc}; exporter '
                               f'output:\n{log.getvalue()[-2000:]}') from exc
        finally:
            logger.setLevel(level)


def export_checked(graph: nn.Module, path: str | Path, *, input_size: tuple[int, int], dynamic_size: bool = False,
                   reference: nn.Module | None = None, tolerance: float = 1e-4,
                   threads: int | None = None, exporter: str = 'auto') -> dict[str, Any]:
    """Export ``graph`` to ``path`` and check it in onnxruntime against PyTorch.

    The graph is exported on a batch of 2 random images; onnxruntime then runs batches of 1
    and 2 (and, with ``dynamic_size``, a second size) and every output is compared with
    ``reference`` (default: ``graph``) in fp32.

    Args:
        graph: The module to export (images in, tensors out), in eval mode.
        path: The ONNX file to write.
        input_size: The (height, width) exported and checked at.
        dynamic_size: Make height and width dynamic as well as the batch.
        reference: The module the outputs must equal (e.g. the stitched model at this stitch).
        tolerance: Largest relative error accepted (see ``relative_error``).
        threads: onnxruntime intra-op threads for the check.
        exporter: ``'torchscript'`` (``torch.onnx.export(dynamo=False)``), ``'dynamo'``, or
            ``'auto'``: dynamo with ``dynamic_size``, else TorchScript, falling back to dynamo
            where TorchScript lacks an op (timm's antialiased position-embedding resampling at
            a size other than the anchors').

    Returns:
        ``dict(parity=error, output_names=[...], opset=OPSET, exporter=..., checked_sizes=[...])``.

    Raises:
        ParityError: onnxruntime's outputs differ by more than ``tolerance`` (``path`` is
            left for the caller to discard).
    """
    path = Path(path)
    reference = graph if reference is None else reference
    example = random_images(2, input_size)
    with torch.no_grad():
        names = graph.output_names(graph(example)) if hasattr(graph, 'output_names') else None
    names = names or [f'output{i}' for i in range(len(_flat(graph(example))))]
    if exporter == 'auto':
        exporter = 'dynamo' if dynamic_size else 'torchscript'
        try:
            _export(graph, path, example, names, dynamic_size=dynamic_size, exporter=exporter)
        except RuntimeError:  # an op the TorchScript exporter lacks, e.g. timm's antialiased resampling
            if exporter == 'dynamo':
                raise
            exporter = 'dynamo'
            _export(graph, path, example, names, dynamic_size=dynamic_size, exporter=exporter)
    else:
        _export(graph, path, example, names, dynamic_size=dynamic_size, exporter=exporter)
    session = cpu_session(str(path), threads=threads)
    sizes = [tuple(input_size)]
    if dynamic_size:
        sizes.append((input_size[0] + 32, input_size[1] + 64))
    errors = []
    for size, batch in [(sizes[0], 1), (sizes[0], 2)] + [(s, 1) for s in sizes[1:]]:
        images = random_images(batch, size, seed=1 + batch)
        with torch.no_grad():
            expected = [t.numpy() for t in _flat(reference(images))]
        got = session.run(names, {INPUT_NAME: images.numpy()})
        shapes = [g.shape for g in got], [e.shape for e in expected]
        if shapes[0] != shapes[1]:
            raise ParityError(f'{path.name}: onnxruntime output shapes {shapes[0]} differ from PyTorch\'s '
                              f'{shapes[1]} at batch {batch}, size {size}')
        errors.append(relative_error(got, expected))
    parity = max(errors)
    if not parity <= tolerance:
        raise ParityError(f'{path.name}: onnxruntime outputs differ from PyTorch by {parity:.3g} relative '
                          f'(tolerance {tolerance:g}); nothing written')
    return dict(parity=parity, output_names=names, opset=OPSET, exporter=exporter,
                checked_sizes=[list(s) for s in sizes])
