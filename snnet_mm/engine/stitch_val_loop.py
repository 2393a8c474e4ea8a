"""``StitchValLoop``: validation of a set of stitches during training."""
from __future__ import annotations

from typing import Sequence

from mmengine.evaluator import Evaluator
from mmengine.registry import LOOPS
from mmengine.runner import ValLoop
from torch.utils.data import DataLoader

from ..stitching.selection import parse_stitch_set
from .stitch_sampling_hook import check_stitch_spec, find_stitched_backbone


@LOOPS.register_module()
class StitchValLoop(ValLoop):
    """Validates several stitches in one validation round.

    Metrics of stitch ``i`` are reported as ``stitch{i}/<metric>``; the metrics of the
    backbone's default stitch are also reported under their plain names, so ``save_best`` and
    other hooks keep working. The backbone is left on the stitch it had before.

    Args:
        runner: The runner.
        dataloader: Validation dataloader (or its config).
        evaluator: Evaluator (or its config).
        fp16: Validate with automatic mixed precision.
        stitches: ``'anchors'`` (default: every anchor alone), ``'all'``, ``'0,5,17'`` or a list of indices.
    """

    def __init__(self, runner, dataloader: DataLoader | dict, evaluator: Evaluator | dict | list,
                 fp16: bool = False, stitches: str | Sequence[int] = 'anchors') -> None:
        check_stitch_spec(stitches)  # before the dataloader is built
        super().__init__(runner, dataloader, evaluator, fp16)
        self.stitches = stitches

    def run(self) -> dict:
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        self.runner.model.eval()
        backbone = find_stitched_backbone(self.runner.model)
        previous = backbone.current_stitch
        indices = parse_stitch_set(self.stitches, backbone.stitches)
        if backbone.default_stitch not in indices:
            indices.append(backbone.default_stitch)
        metrics: dict = {}
        try:
            for index in indices:
                backbone.set_stitch(index)
                for idx, data_batch in enumerate(self.dataloader):
                    self.run_iter(idx, data_batch)
                result = self.evaluator.evaluate(len(self.dataloader.dataset))
                metrics.update({f'stitch{index}/{k}': v for k, v in result.items()})
                if index == backbone.default_stitch:
                    metrics.update(result)
        finally:
            backbone.set_stitch(previous)
        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics
