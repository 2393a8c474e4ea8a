"""``StitchDistributedDataParallel``: data-parallel training that reduces only the active stitch's gradients.

Every training iteration runs one stitch, the same on every rank (``StitchSamplingHook``), so
every rank knows before the backward pass which parameters get a gradient: the stitch's
embedding, the blocks on its route, its stitching layers, its head or dense-output projections
and norms (``snnet_mm.stitching.usage``), and every parameter outside the stitched backbone
(necks, decode and auxiliary heads). PyTorch's DDP with ``find_unused_parameters=True`` instead
walks the autograd graph after each forward and all-reduces the buckets of the whole network,
zeros included: for DeiT3-S/L a step of the cheapest stitch moves as many bytes as one of the
large anchor.
"""
from __future__ import annotations

import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import torch
import torch.distributed as dist
from mmengine.model.wrappers import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS
from torch import nn

from ..models.backbone import SNNetv2
from ..stitching.usage import stitch_parameters

_MB = 1024 * 1024
# As DDP: a small first bucket so that communication starts early in the backward pass.
_FIRST_BUCKET_BYTES = 1 * _MB
_BROADCAST_BYTES = 250 * _MB


@dataclass(frozen=True)
class _Bucket:
    """Parameters (indices into the wrapper's trainable parameters) reduced as one flat tensor:
    ``numel`` gradient values then one used-flag per parameter, at ``offset`` of the wrapper's
    reduction buffer of its dtype and device."""

    indices: tuple[int, ...]
    numel: int
    dtype: torch.dtype
    device: torch.device
    offset: int = 0

    @property
    def size(self) -> int:
        return self.numel + len(self.indices)


@dataclass
class _Reduction:
    """The state of one synchronising backward pass."""

    buckets: list[_Bucket]
    bucket_of: dict[int, int]
    pending: list[int]
    launched: list[tuple[_Bucket, torch.Tensor, Any]] = field(default_factory=list)
    next_bucket: int = 0
    started: bool = False


@MODEL_WRAPPERS.register_module()
class StitchDistributedDataParallel(nn.Module):
    """Data-parallel wrapper for models with an ``SNNetv2`` backbone trained one stitch per step.

    Each synchronising backward pass all-reduces (averages over ranks) exactly the gradients of
    the parameters the step's stitch uses and of every trainable parameter outside the
    stitched backbone. Gradients are packed into buckets (``bucket_cap_mb``, a 1 MiB first
    bucket, as DDP) in reverse execution order and each bucket's all-reduce starts from
    ``Tensor.register_post_accumulate_grad_hook`` as soon as its last gradient is accumulated,
    so communication overlaps the rest of the backward pass. Nothing walks the autograd graph.

    The result equals ``MMDistributedDataParallel(find_unused_parameters=True)``: a parameter
    no rank used keeps its gradient untouched (``None`` after ``zero_grad``, so optimizers skip
    it); a parameter of the stitch that got no gradient on some rank contributes zeros there
    (each bucket carries one used-flag per parameter). Under gradient accumulation
    (``no_sync``, used by ``OptimWrapper.optim_context``) the synchronising step reduces the
    parameters of every stitch trained since the last synchronisation.

    Every forward pass with gradients checks, by an asynchronous all-reduce that overlaps the
    forward computation, that all ranks run the same stitch; the first backward hook waits for
    it and raises before any bucket is reduced if they do not. A gradient on a backbone
    parameter the stitch does not use (a model that uses backbone parameters outside the stitch
    graph) raises too: switch back to ``MMDistributedDataParallel`` with
    ``find_unused_parameters=True`` for such models.

    ``train_step``, ``val_step`` and ``test_step`` are ``MMDistributedDataParallel``'s, so
    ``OptimWrapper``, ``AmpOptimWrapper`` and gradient accumulation work unchanged.

    Args:
        module: The model (an MMEngine ``BaseModel`` with exactly one ``SNNetv2``).
        bucket_cap_mb: Bucket size in MiB (DDP's default: 25).
        broadcast_buffers: Broadcast rank 0's buffers at construction and before each
            synchronising forward pass (MMEngine's DDP default: False).
        process_group: Process group to reduce over (default: the world).
        detect_anomalous_params: Log parameters not in the loss's graph (slow; debugging).

    Raises:
        ValueError: If ``torch.distributed`` is not initialised, the model has no (or several)
            ``SNNetv2`` backbone(s), or ``bucket_cap_mb`` is not positive.
    """

    def __init__(self, module: nn.Module, *, bucket_cap_mb: float = 25.0, broadcast_buffers: bool = False,
                 process_group: Any = None, detect_anomalous_params: bool = False) -> None:
        super().__init__()
        if (isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float))
                or not bucket_cap_mb > 0):
            raise ValueError(f'bucket_cap_mb: expected a number > 0, got {bucket_cap_mb!r}')
        if not (dist.is_available() and dist.is_initialized()):
            raise ValueError('model_wrapper_cfg: StitchDistributedDataParallel needs torch.distributed to be '
                             'initialised (launch with --launcher pytorch / torchrun)')
        backbones = [m for m in module.modules() if isinstance(m, SNNetv2)]
        if len(backbones) != 1:
            raise ValueError(f'model_wrapper_cfg: StitchDistributedDataParallel needs exactly one SNNetv2 backbone in '
                             f'{type(module).__name__}, found {len(backbones)}; use '
                             "dict(type='MMDistributedDataParallel', find_unused_parameters=True)")
        self.module = module
        self.backbone = backbones[0]
        self.bucket_bytes = int(bucket_cap_mb * _MB)
        self.broadcast_buffers = broadcast_buffers
        self.process_group = process_group
        self.detect_anomalous_params = detect_anomalous_params
        self.world_size = dist.get_world_size(process_group)
        #: Bytes this rank has all-reduced for gradients (payload and used-flags), for benchmarks.
        self.reduced_bytes = 0

        self._params = [p for p in module.parameters() if p.requires_grad]
        self._names = {id(p): n for n, p in module.named_parameters()}
        self._index = {id(p): i for i, p in enumerate(self._params)}
        in_backbone = {id(p) for p in self.backbone.parameters()}
        # Outside the backbone (heads, necks): used by every stitch; they run last, so reduce them first.
        self._always = tuple(i for i in reversed(range(len(self._params))) if id(self._params[i]) not in in_backbone)
        self._stitch_cache: dict[int, tuple[int, ...]] = {}
        self._layout_cache: dict[tuple[int, ...], tuple[list[_Bucket], dict[int, int]]] = {}
        self._sync = True
        self._window: list[int] = []  # stitches trained since the last synchronisation
        self._allowed: set[int] = set(self._always)
        self._reduction: _Reduction | None = None
        self._check: tuple[int, torch.Tensor, Any] | None = None
        # One flat buffer per (dtype, device), allocated once and shared by every stitch's buckets:
        # fresh memory each step would cost page faults on every reduced byte.
        self._buffers: dict[tuple[torch.dtype, torch.device], torch.Tensor] = {}

        self._broadcast([p.detach() for p in module.parameters()])
        if broadcast_buffers:
            self._broadcast([b.detach() for b in module.buffers()])
        this = weakref.ref(self)
        for i, p in enumerate(self._params):
            p.register_post_accumulate_grad_hook(lambda _, i=i: this() and this()._on_grad(i))

    # MMEngine's loops call these; forward, backward and update are MMDistributedDataParallel's.
    train_step = MMDistributedDataParallel.train_step
    val_step = MMDistributedDataParallel.val_step
    test_step = MMDistributedDataParallel.test_step
    _run_forward = MMDistributedDataParallel._run_forward

    @contextmanager
    def no_sync(self) -> Iterator[None]:
        """Accumulate gradients locally (as DDP's ``no_sync``); the next synchronising backward
        pass reduces the parameters of every stitch trained in between."""
        previous, self._sync = self._sync, False
        try:
            yield
        finally:
            self._sync = previous

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if torch.is_grad_enabled():
            self._before_forward()
        return self.module(*args, **kwargs)

    # ------------------------------------------------------------------ forward side
    def _before_forward(self) -> None:
        self._finish_check()
        stitch = self.backbone.current_stitch
        self._start_check(stitch)
        if stitch not in self._window:
            self._window.append(stitch)
            self._allowed.update(self._stitch_indices(stitch))
        if self._sync:
            if self.broadcast_buffers:
                self._broadcast([b.detach() for b in self.module.buffers()])
            buckets, bucket_of = self._layout(tuple(self._window))
            self._reduction = _Reduction(buckets=buckets, bucket_of=bucket_of,
                                         pending=[len(b.indices) for b in buckets])

    def _stitch_indices(self, stitch: int) -> tuple[int, ...]:
        """Trainable parameters of ``stitch``, in reverse execution order (backward order)."""
        if stitch not in self._stitch_cache:
            used = stitch_parameters(self.backbone.net, stitch)
            self._stitch_cache[stitch] = tuple(self._index[id(p)] for p in reversed(used) if id(p) in self._index)
        return self._stitch_cache[stitch]

    def _layout(self, window: tuple[int, ...]) -> tuple[list[_Bucket], dict[int, int]]:
        """Buckets for the stitches in ``window`` (the last one's backward runs now)."""
        if window not in self._layout_cache:
            order, seen = [], set()
            for i in (*self._always, *(i for s in reversed(window) for i in self._stitch_indices(s))):
                if i not in seen:
                    seen.add(i)
                    order.append(i)
            buckets, current, size, cap = [], [], 0, _FIRST_BUCKET_BYTES
            for i in order:
                p = self._params[i]
                if current and (size + p.numel() * p.element_size() > cap
                                or (p.dtype, p.device) != (self._params[current[0]].dtype,
                                                           self._params[current[0]].device)):
                    buckets.append(self._bucket(current))
                    current, size, cap = [], 0, self.bucket_bytes
                current.append(i)
                size += p.numel() * p.element_size()
            if current:
                buckets.append(self._bucket(current))
            buckets = self._place(buckets)
            if len(self._layout_cache) >= 512:
                self._layout_cache.clear()
            self._layout_cache[window] = (buckets, {i: b for b, bk in enumerate(buckets) for i in bk.indices})
        return self._layout_cache[window]

    def _bucket(self, indices: Sequence[int]) -> _Bucket:
        first = self._params[indices[0]]
        return _Bucket(indices=tuple(indices), numel=sum(self._params[i].numel() for i in indices),
                       dtype=first.dtype, device=first.device)

    @staticmethod
    def _place(buckets: list[_Bucket]) -> list[_Bucket]:
        """The buckets laid one after another in the buffer of their dtype and device."""
        ends: dict[tuple[torch.dtype, torch.device], int] = {}
        placed = []
        for b in buckets:
            key = (b.dtype, b.device)
            placed.append(_Bucket(b.indices, b.numel, b.dtype, b.device, offset=ends.get(key, 0)))
            ends[key] = ends.get(key, 0) + b.size
        return placed

    def _flat(self, bucket: _Bucket) -> torch.Tensor:
        """The bucket's slice of the reduction buffer (grown, never shrunk, as stitches need)."""
        key = (bucket.dtype, bucket.device)
        buffer = self._buffers.get(key)
        end = bucket.offset + bucket.size
        if buffer is None or buffer.numel() < end:
            total = sum(p.numel() + 1 for p in self._params if (p.dtype, p.device) == key)
            buffer = self._buffers[key] = torch.empty(max(total, end), dtype=bucket.dtype, device=bucket.device)
        return buffer[bucket.offset:end]

    # ------------------------------------------------------------------ stitch agreement
    def _start_check(self, stitch: int) -> None:
        device = self._params[0].device if self._params else torch.device('cpu')
        values = torch.tensor([stitch, -stitch], dtype=torch.int64, device=device)
        work = dist.all_reduce(values, op=dist.ReduceOp.MAX, group=self.process_group, async_op=True)
        self._check = (stitch, values, work)

    def _finish_check(self) -> None:
        if self._check is None:
            return
        stitch, values, work = self._check
        self._check = None
        work.wait()
        highest, lowest = int(values[0]), -int(values[1])
        if highest != lowest:
            self._reset()
            raise RuntimeError(
                f'stitch: ranks disagree on the trained stitch (this rank {dist.get_rank()}: {stitch}, others '
                f'between {lowest} and {highest}); every rank must train the same stitch in an iteration '
                '(StitchSamplingHook samples it from one seed). Gradients were not reduced.')

    # ------------------------------------------------------------------ backward side
    def _on_grad(self, i: int) -> None:
        if not self._window:
            return  # a backward pass that did not start from this wrapper's forward
        if i not in self._allowed:
            name, window = self._names.get(id(self._params[i]), f'#{i}'), self._window
            self._reset()
            raise RuntimeError(
                f'parameter {name} received a gradient but stitch(es) {window} do not use it: '
                'StitchDistributedDataParallel reduces only the parameters of the stitch trained since the '
                'last forward pass; for a model that uses backbone parameters outside the stitch graph use '
                "model_wrapper_cfg=dict(type='MMDistributedDataParallel', find_unused_parameters=True)")
        red = self._reduction
        if red is None:
            return  # no_sync: accumulate locally
        if not red.started:
            red.started = True
            self._finish_check()
            torch.autograd.Variable._execution_engine.queue_callback(self._finalize)
        b = red.bucket_of[i]
        red.pending[b] -= 1
        while red.next_bucket < len(red.buckets) and red.pending[red.next_bucket] == 0:
            self._launch(red)

    def _launch(self, red: _Reduction) -> None:
        """All-reduce the next bucket (buckets start in index order on every rank)."""
        bucket = red.buckets[red.next_bucket]
        red.next_bucket += 1
        flat = self._flat(bucket)
        flags, offset, scale = [], 0, 1.0 / self.world_size
        for i in bucket.indices:  # gradient / world size straight into the buffer: one pass over the bytes
            p = self._params[i]
            n = p.numel()
            if p.grad is None:
                flat[offset:offset + n].zero_()
            elif p.grad.is_sparse:
                raise RuntimeError(f'parameter {self._names.get(id(p))}: sparse gradients are not supported')
            else:
                torch.mul(p.grad.reshape(-1), scale, out=flat[offset:offset + n])
            flags.append(scale if p.grad is not None else 0.0)
            offset += n
        flat[offset:].copy_(torch.tensor(flags, dtype=bucket.dtype))
        work = dist.all_reduce(flat, group=self.process_group, async_op=True)
        self.reduced_bytes += flat.numel() * flat.element_size()
        red.launched.append((bucket, flat, work))

    def _finalize(self) -> None:
        """End of the backward pass: reduce what is left, wait, write averaged gradients back."""
        red, self._reduction = self._reduction, None
        if red is None:
            return
        while red.next_bucket < len(red.buckets):
            self._launch(red)
        for bucket, flat, work in red.launched:
            work.wait()
            used = flat[bucket.numel:] > 0
            offset = 0
            for k, i in enumerate(bucket.indices):
                p = self._params[i]
                n = p.numel()
                if used[k]:  # unused on every rank: leave the gradient untouched, as DDP
                    view = flat[offset:offset + n].view_as(p)
                    if p.grad is None:  # used on another rank only
                        p.grad = view.clone()
                    else:  # the buffer is reused by the next step: copy, never alias it
                        p.grad.copy_(view)
                offset += n
        self._reset()

    def _reset(self) -> None:
        """Forget the stitches trained since the last synchronisation (after it, or after an error)."""
        self._window = []
        self._allowed = set(self._always)
        self._reduction = None

    # ------------------------------------------------------------------ helpers
    def _broadcast(self, tensors: Sequence[torch.Tensor]) -> None:
        """Rank 0's values of ``tensors`` on every rank, in flat chunks of one dtype and device."""
        groups: dict[tuple[torch.dtype, torch.device], list[torch.Tensor]] = {}
        for t in tensors:
            groups.setdefault((t.dtype, t.device), []).append(t)
        for group in groups.values():
            chunk: list[torch.Tensor] = []
            for t in [*group, None]:
                size = sum(c.numel() * c.element_size() for c in chunk)
                if chunk and (t is None or size + t.numel() * t.element_size() > _BROADCAST_BYTES):
                    flat = torch.cat([c.reshape(-1) for c in chunk])
                    dist.broadcast(flat, src=dist.get_global_rank(self.process_group, 0)
                                   if self.process_group is not None else 0, group=self.process_group)
                    offset = 0
                    for c in chunk:
                        c.copy_(flat[offset:offset + c.numel()].view_as(c))
                        offset += c.numel()
                    chunk = []
                if t is not None:
                    chunk.append(t)

    def extra_repr(self) -> str:
        return f'world_size={self.world_size}, bucket_cap_mb={self.bucket_bytes / _MB:g}'

