"""A tiny stitched classifier and dataset for Runner-level tests (importable by torchrun workers)."""
from __future__ import annotations

import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.registry import MODELS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import tiny_anchor  # noqa: E402

import snnet_mm  # noqa: E402,F401


class ToyStitchedClassifier(BaseModel):
    """SNNetv2 (logits mode) + cross-entropy; inputs are image tensors, data_samples labels."""

    def __init__(self, depths: tuple[int, int] = (3, 6), num_classes: int = 4, lora_rank: int | None = None,
                 checkpoints: tuple[str | None, str | None] = (None, None)) -> None:
        super().__init__(data_preprocessor=dict(type='BaseDataPreprocessor'))
        anchors = [tiny_anchor(depth, width, num_classes=num_classes) for depth, width in zip(depths, (32, 64))]
        self.backbone = MODELS.build(dict(
            type='SNNetv2', lora_rank=lora_rank,
            anchors=[a if c is None else dict(a, checkpoint=c) for a, c in zip(anchors, checkpoints)]))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        (logits,) = self.backbone(inputs)
        if mode == 'loss':
            return dict(loss=F.cross_entropy(logits, data_samples))
        if mode == 'predict':
            return list(zip(logits.argmax(1), data_samples))
        return logits


class ToyImages(torch.utils.data.Dataset):
    """Images whose mean colour encodes the class: learnable in a few iterations."""

    def __init__(self, size: int = 64, num_classes: int = 4) -> None:
        g = torch.Generator().manual_seed(0)
        self.labels = torch.arange(size) % num_classes
        colours = torch.linspace(-1, 1, num_classes)
        self.images = 0.3 * torch.randn(size, 3, 32, 32, generator=g) + colours[self.labels].view(-1, 1, 1, 1)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict:
        return dict(inputs=self.images[i], data_samples=self.labels[i])


def dataloader_cfg(size: int = 64, batch_size: int = 4) -> dict:
    return dict(dataset=ToyImages(size), sampler=dict(type='DefaultSampler', shuffle=True),
                batch_size=batch_size, num_workers=0, collate_fn=dict(type='default_collate'))



class ToyAccuracy(BaseMetric):
    """Accuracy of ``ToyStitchedClassifier`` predictions."""

    def process(self, data_batch, data_samples) -> None:
        self.results += [int(pred == gt) for pred, gt in data_samples]

    def compute_metrics(self, results) -> dict:
        return dict(accuracy=100.0 * sum(results) / len(results))
