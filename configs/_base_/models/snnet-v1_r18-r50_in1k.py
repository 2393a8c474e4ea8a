# SN-Net v1's stitched ResNet-18/50 classifier: 8 stitches inside stages 1-2 + 2 anchors, torchvision
# ImageNet-1k weights fetched by timm; no Mixup / CutMix in the v1 CNN recipe.
_base_ = './snnet-v1_distilled-classifier.py'

anchors = [
    dict(name='resnet18', checkpoint='timm:resnet18.tv_in1k'),
    dict(name='resnet50', checkpoint='timm:resnet50.tv_in1k'),
]
model = dict(backbone=dict(anchors=anchors), train_cfg=None)
