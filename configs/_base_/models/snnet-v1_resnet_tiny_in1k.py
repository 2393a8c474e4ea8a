# The stitched ResNet classifier at CPU size: random-init ResNets shaped like R18 (basic blocks) and
# R50 (bottlenecks), depths 1-2-2-1 / 1-3-3-1, widths 8-64 / 32-256 (4 stitches in stages 1-2 + 2
# anchors), 32x32 images, 5 classes, hard distillation from a tiny random ResNet teacher (no download).
_base_ = './snnet-v1_r18-r50_in1k.py'

model = dict(
    teacher=dict(name='resnet18', checkpoint=None, pretrained=False,
                 model_kwargs=dict(num_classes=5, layers=(1, 1, 1, 1), channels=(8, 16, 32, 64), stem_width=8)),
    backbone=dict(anchors=[
        dict(name='resnet18', checkpoint=None, img_size=32,
             model_kwargs=dict(num_classes=5, layers=(1, 2, 2, 1), channels=(8, 16, 32, 64), stem_width=8)),
        dict(name='resnet50', checkpoint=None, img_size=32,
             model_kwargs=dict(num_classes=5, layers=(1, 3, 3, 1), channels=(8, 16, 32, 64), stem_width=16)),
    ]))
