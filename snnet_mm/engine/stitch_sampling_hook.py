"""``StitchSamplingHook``: what makes an MMEngine training run SN-Netv2 training."""
from __future__ import annotations

import re
from typing import Any, Sequence

import torch
from mmengine.dist import broadcast, broadcast_object_list, get_rank
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.registry import HOOKS
from mmengine.runner.checkpoint import find_latest_checkpoint

from ..models.backbone import SNNetv2
from ..models.wrapped import unwrap_model
from ..stitching.layers import ls_cutoff
from ..stitching.sampling import STRATEGIES, StitchSampler, group_by_flops
from ..stitching.selection import parse_stitch_set
from ..utils.checks import check_int, check_ints, check_number, check_one_of, is_int


def check_stitch_spec(spec: Any, field_name: str = 'stitches') -> None:
    """What can be checked of a stitch set without the model: ``None``, ``'all'``, ``'anchors'``, or
    comma-separated (or a non-empty list of) indices >= 0, routes (``'S[0:2] -> L[4:24]'``) and
    registered forms (``'official:29'``); whether they exist is checked against the model later."""
    if spec is None or spec in ('all', 'anchors'):
        return
    if isinstance(spec, str):
        items = [t.strip() for t in spec.split(',') if t.strip()]
    elif isinstance(spec, (list, tuple)):
        items = list(spec)
    else:
        raise ValueError(f"{field_name}: expected 'all', 'anchors', comma-separated stitches or a list of "
                         f'stitches, got {spec!r}')
    if not items:
        raise ValueError(f'{field_name}: no stitch selected (got {spec!r})')
    for item in items:
        if not _names_a_stitch(item):
            raise ValueError(f'{field_name}: {item!r} is not a stitch index >= 0, a route or '
                             f"'<form>:<arg>' (e.g. 'official:29')")


def _names_a_stitch(item: Any) -> bool:
    if isinstance(item, str):
        return bool(re.fullmatch(r'\d+', item.strip())) or '[' in item or ':' in item
    return is_int(item) and item >= 0


def resume_checkpoint(runner) -> str | None:
    """The checkpoint ``runner.load_or_resume()`` will resume from (None: it will not resume)."""
    if not runner._resume:  # MMEngine keeps resume/load_from private; load_or_resume reads the same
        return None
    return runner._load_from if runner._load_from is not None else find_latest_checkpoint(runner.work_dir)


def find_stitched_backbone(model: torch.nn.Module) -> SNNetv2:
    """The ``SNNetv2`` inside ``model`` (model wrappers unwrapped)."""
    model = unwrap_model(model)
    found = [m for m in model.modules() if isinstance(m, SNNetv2)]
    if len(found) != 1:
        raise ValueError(f'model: expected exactly one SNNetv2 backbone in {type(model).__name__}, '
                         f'found {len(found)}; the stitch hooks need a stitched backbone')
    return found[0]


@HOOKS.register_module()
class StitchSamplingHook(Hook):
    """Samples one stitch per training iteration and least-squares initialises stitching layers.

    Before training, if the stitching layers are not initialised yet (the state is saved in
    checkpoints, so ``--resume`` and ``load_from`` keep loaded layers), ``num_init_images``
    images are drawn from the training dataloader through the data preprocessor and every
    layer is solved on the model's device; under DDP rank 0 solves and broadcasts. When the run
    resumes (``--resume``), the backbone reads neither its anchor files nor its ``init_cfg``:
    the resume checkpoint holds every weight, so resuming needs only that file.

    Each iteration then trains the stitch ``sampler.sample(iteration)``: a FLOPs group picked
    uniformly, then a stitch uniformly inside it (SN-Netv2 resource-constrained sampling), or
    uniformly among all stitches. The draw depends only on the seed (rank 0's runner seed by
    default) and the iteration, so all ranks train the same stitch and a resumed run continues
    the same sequence. ``train/stitch`` and ``train/stitch_gflops`` are logged through the
    message hub (text log and visualizer backends), and so is ``train/loss/group_<g>``: the
    running loss of FLOPs group ``g`` (0 = cheapest), updated on the iterations that train one
    of its stitches and averaged over the log processor's window (are the cheap stitches learning?). After training the backbone is set back
    to its default stitch (``model.backbone.stitch``, the large anchor unless configured).

    Args:
        num_init_images: Images used for the least-squares initialisation.
        init_batch_size: Images per forward pass during the initialisation.
        strategy: ``'flops_grouped'`` or ``'uniform'``.
        gap_gflops: Group gap in GFLOPs (paper: 1 for ImageNet at 224, 10 for 512x512 dense).
        stitches: Stitches to train: a list of indices, ``'0,5,17'``, ``'anchors'`` or ``'all'``
            (default: all).
        input_size: (H, W) at which FLOPs are counted; default: the training batch size.
        seed: Sampling seed; default: rank 0's runner seed.
        ls_rcond: Least-squares singular-value cut-off (``None``: float64 precision, ``'fp32'``:
            the official float32 ``pinv`` cut-off, or a ratio); see ``NormalEquations.solve``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, *, num_init_images: int = 50, init_batch_size: int = 8,
                 strategy: str = 'flops_grouped', gap_gflops: float = 1.0,
                 stitches: Sequence[int] | None = None,
                 input_size: Sequence[int] | None = None, seed: int | None = None,
                 ls_rcond: float | str | None = None) -> None:
        try:
            ls_cutoff(ls_rcond, tokens=1, features=1)
        except ValueError as error:
            raise ValueError(f'ls_{error}') from None  # 'ls_rcond: expected ...'
        check_int(num_init_images, 'num_init_images', minimum=1)
        check_int(init_batch_size, 'init_batch_size', minimum=1)
        check_one_of(strategy, 'strategy', STRATEGIES)
        check_number(gap_gflops, 'gap_gflops', low=0, low_open=True, finite=True)
        if input_size is not None:
            check_ints(input_size, 'input_size', length=2, minimum=1, what='(height, width) as two positive ints')
        if seed is not None and not is_int(seed):
            raise ValueError(f'seed: expected an int or None (the runner seed), got {seed!r}')
        check_stitch_spec(stitches)
        self.num_init_images = num_init_images
        self.init_batch_size = init_batch_size
        self.strategy = strategy
        self.gap_gflops = float(gap_gflops)
        self.stitches = stitches if stitches is None or isinstance(stitches, str) else list(stitches)
        self.input_size = None if input_size is None else (int(input_size[0]), int(input_size[1]))
        self.seed = seed
        self.ls_rcond = ls_rcond
        self.sampler: StitchSampler | None = None
        self._backbone: SNNetv2 | None = None
        self.gflops: list[float] = []
        self._group_of: dict[int, int] = {}

    # ------------------------------------------------------------------ hooks
    def before_run(self, runner) -> None:
        # The runner initialises weights (reading the anchor files) before it loads a resume
        # checkpoint, which holds every weight: tell the backbone to read nothing.
        find_stitched_backbone(runner.model).resume_from = resume_checkpoint(runner)

    def before_train(self, runner) -> None:
        # Everything that can be wrong is checked before the (slow) least-squares initialisation.
        backbone = self._backbone = find_stitched_backbone(runner.model)
        parse_stitch_set('all' if self.stitches is None else self.stitches, backbone.stitches)
        logger = MMLogger.get_current_instance()
        solve = not backbone.stitching_initialised
        if solve:
            self._check_dataset_size(runner)
        size = self.input_size or tuple(self._draw_images(runner, 1).shape[-2:])
        self.sampler = self._build_sampler(runner, backbone, size)
        if solve:
            if get_rank() == 0:  # rank 0 solves and broadcasts
                images = self._draw_images(runner, self.num_init_images)
                backbone.init_stitching_layers(images, batch_size=self.init_batch_size, rcond=self.ls_rcond)
                logger.info(f'StitchSamplingHook: least-squares initialised the stitching layers from '
                            f'{images.shape[0]} images of size {tuple(images.shape[-2:])}')
            for param in backbone.net.stitch_layers.parameters():
                broadcast(param.data, src=0)
            for layer in backbone.net.stitch_layers.values():
                layer.initialised.fill_(True)
        else:
            logger.info('StitchSamplingHook: stitching layers already initialised (loaded), kept')
        logger.info(f'StitchSamplingHook: {self.strategy} sampling over {self.sampler.num_stitches} stitches '
                    f'in {len(self.sampler.groups)} group(s) at input {size}, seed {self.sampler.seed}')

    def before_train_iter(self, runner, batch_idx: int, data_batch: Any = None) -> None:
        index = self.sampler.sample(runner.iter)
        self._backbone.set_stitch(index)
        runner.message_hub.update_scalar('train/stitch', index)
        runner.message_hub.update_scalar('train/stitch_gflops', self.gflops[index])

    def after_train_iter(self, runner, batch_idx: int, data_batch: Any = None, outputs: Any = None) -> None:
        loss = outputs.get('loss') if isinstance(outputs, dict) else None
        if loss is not None:
            group = self._group_of[self._backbone.current_stitch]
            value = float(loss.detach()) if hasattr(loss, 'detach') else float(loss)
            runner.message_hub.update_scalar(f'train/loss/group_{group}', value)

    def after_train(self, runner) -> None:
        self._backbone.set_stitch(self._backbone.default_stitch)

    # ------------------------------------------------------------------ helpers
    def _build_sampler(self, runner, backbone: SNNetv2, size: tuple[int, int]) -> StitchSampler:
        self.gflops = [c.flops / 1e9 for c in backbone.stitch_costs(size)]
        candidates = parse_stitch_set('all' if self.stitches is None else self.stitches, backbone.stitches)
        groups = group_by_flops(self.gflops, candidates, self.gap_gflops)
        if self.strategy == 'flops_grouped' and len(groups) == 1 and len(candidates) > 1:
            spread = max(self.gflops[i] for i in candidates) - min(self.gflops[i] for i in candidates)
            raise ValueError(f'gap_gflops: {self.gap_gflops} puts all {len(candidates)} stitches '
                             f'(spread {spread:.4f} GFLOPs) in one group; use a smaller gap or '
                             "strategy='uniform'")
        seed = self.seed
        if seed is None:
            shared = [runner.seed]
            broadcast_object_list(shared, src=0)
            seed = shared[0]
        sampler = StitchSampler(groups, strategy=self.strategy, seed=seed)
        self._group_of = {s: g for g, members in enumerate(sampler.groups) for s in members}
        return sampler

    def _check_dataset_size(self, runner) -> None:
        size = len(runner.train_dataloader.dataset)
        if self.num_init_images > size:
            raise ValueError(f'num_init_images: {self.num_init_images} is larger than the training set '
                             f'({size} images)')

    def _draw_images(self, runner, count: int) -> torch.Tensor:
        """``count`` training images exactly as training sees them.

        Samples are read from the dataset (a fixed random subset) through the training pipeline,
        the dataloader's collate function and the data preprocessor in training mode. The
        dataloader and its sampler are not touched, so the training data order stays the same.
        """
        dataloader = runner.train_dataloader
        dataset = dataloader.dataset
        model = unwrap_model(runner.model)
        order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0))[:count].tolist()
        chunks = []
        for start in range(0, count, self.init_batch_size):
            batch = dataloader.collate_fn([dataset[i] for i in order[start:start + self.init_batch_size]])
            inputs = model.data_preprocessor(batch, True)['inputs']
            if isinstance(inputs, (list, tuple)):
                inputs = torch.stack(list(inputs))
            chunks.append(inputs.float())
        return torch.cat(chunks)
