"""DistilledImageClassifier: DeiT's hard / soft distillation from a frozen timm teacher."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

pytest.importorskip('mmpretrain')
from conftest import tiny_anchor  # noqa: E402
from mmpretrain.registry import MODELS  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402

import snnet_mm  # noqa: E402,F401

CLASSES = 5
TEACHER = dict(name='vit_tiny_patch16_224',
               model_kwargs=dict(img_size=32, embed_dim=16, depth=1, num_heads=2, num_classes=CLASSES))


@pytest.fixture(scope='module')
def teacher_checkpoint(tmp_path_factory):
    import timm
    torch.manual_seed(1)
    teacher = timm.create_model(TEACHER['name'], **TEACHER['model_kwargs'])
    path = tmp_path_factory.mktemp('teacher') / 'teacher.pth'
    torch.save({'model': teacher.state_dict()}, path)  # DeiT's checkpoint layout
    return path, teacher.eval()


def classifier(checkpoint, **kwargs):
    anchors = [dict(tiny_anchor(2, 32), img_size=32), dict(tiny_anchor(4, 64), img_size=32)]
    for a in anchors:
        a['model_kwargs'] = dict(a.get('model_kwargs', {}), num_classes=CLASSES)
    cfg = dict(type='DistilledImageClassifier', teacher=dict(TEACHER, checkpoint=str(checkpoint)),
               backbone=dict(type='SNNetv2', anchors=anchors),
               head=dict(type='ClsHead', loss=dict(type='CrossEntropyLoss')), init_cfg=None)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(n: int = 4):
    torch.manual_seed(0)
    labels = torch.randint(0, CLASSES, (n,))
    return torch.randn(n, 3, 32, 32), [DataSample().set_gt_label(int(y)) for y in labels], labels


@pytest.mark.parametrize('kind', ['hard', 'soft'])
def test_loss_is_deits_mix_of_label_and_teacher_terms(teacher_checkpoint, kind):
    path, teacher = teacher_checkpoint
    model = classifier(path, distillation_type=kind, alpha=0.3, tau=2.0)
    inputs, samples, labels = batch()
    losses = model.loss(inputs, samples)
    student = model.head(model.extract_feat(inputs))
    with torch.no_grad():
        target = teacher(inputs)
    assert losses['loss'].item() == pytest.approx(0.7 * F.cross_entropy(student, labels).item(), rel=1e-5)
    if kind == 'hard':
        expected = F.cross_entropy(student, target.argmax(1))
    else:
        expected = F.kl_div(F.log_softmax(student / 2, 1), F.log_softmax(target / 2, 1), reduction='sum',
                            log_target=True) * 4 / student.numel()
    assert losses['loss_distill'].item() == pytest.approx(0.3 * expected.item(), rel=1e-5)


def test_teacher_is_frozen_and_outside_checkpoints_and_optimizer(teacher_checkpoint):
    path, _ = teacher_checkpoint
    model = classifier(path).train()
    inputs, samples, _ = batch()
    sum(v for k, v in model.loss(inputs, samples).items() if k.startswith('loss')).backward()
    assert not model.teacher.training
    assert all(p.grad is None and not p.requires_grad for p in model.teacher.parameters())
    assert not any(k.startswith(('teacher', '_teacher')) for k in model.state_dict())
    assert all(p.grad is not None for p in model.backbone.net.anchors[1].model.patch_embed.parameters())  # default stitch: L


def test_bad_arguments_name_the_field(teacher_checkpoint, tmp_path):
    path, _ = teacher_checkpoint
    with pytest.raises(ValueError, match='distillation_type'):
        classifier(path, distillation_type='medium')
    with pytest.raises(ValueError, match='alpha'):
        classifier(path, alpha=1.5)
    with pytest.raises(ValueError, match='tau'):
        classifier(path, tau=0)
    wrong = tmp_path / 'wrong.pth'
    torch.save({'model': {'head.weight': torch.zeros(3, 3)}}, wrong)
    with pytest.raises(ValueError, match='teacher.checkpoint'):
        classifier(wrong)
