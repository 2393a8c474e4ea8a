# SN-Net v1's ImageNet-1k classifier around any stitched backbone (the bases next to this file add
# the anchors): the stitch's own logits (the ending anchor's head) learn from the labels (label
# smoothing 0.1) and, with weight alpha 0.5, from the arg-max of DeiT's RegNetY-16GF teacher
# (SN-Net v1's StitchDistillationLoss, DeiT's 'hard' distillation); DeiT's Mixup 0.8 / CutMix 1.0.
model = dict(
    type='DistilledImageClassifier',
    # regnety_160-a5fe301d.pth = timm's 'regnety_160.deit_in1k', fetched by timm when the model is
    # built; or a local checkpoint='checkpoints/regnety_160-a5fe301d.pth'.
    teacher=dict(name='regnety_160.deit_in1k', checkpoint=None),
    distillation_type='hard',
    alpha=0.5,
    backbone=dict(type='SNNetv2', mode='v1', stitch=None),
    neck=None,
    head=dict(type='ClsHead', topk=(1, 5),  # ClsHead passes the logits through
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    init_cfg=None,  # an upstream init would overwrite the pretrained anchors
    train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)]))
