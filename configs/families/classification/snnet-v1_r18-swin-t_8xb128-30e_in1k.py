# SN-Net v1 on ImageNet-1k: ResNet-18 stitched into Swin-Ti (6 stitches inside stages 1-2; a 1x1
# conv then NCHW -> NHWC), the R18/R50 recipe (30 epochs SGD Nesterov lr 0.05, anchors x0.1,
# hard distillation from RegNetY-160 with weight 0.5).
_base_ = ['./snnet-v1_r18-r50_8xb128-30e_in1k.py']

anchors = [
    dict(name='resnet18', checkpoint='timm:resnet18.tv_in1k'),
    dict(name='swin_tiny_patch4_window7_224', checkpoint='timm:swin_tiny_patch4_window7_224.ms_in1k'),
]
model = dict(backbone=dict(anchors=anchors))
