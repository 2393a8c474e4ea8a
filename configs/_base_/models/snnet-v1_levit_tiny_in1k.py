# The stitched LeViT classifier at CPU size: random-init LeViTs shaped like LeViT-192/256 (stem
# stride 16, three stages, stages 0-1 stitchable), depths 3-3-1, widths 16-24-32 / 24-32-40
# (4 stitches in stages 0-1 + 2 anchors), 5 classes, 32x32 images (2x2 tokens in stage 0), hard
# distillation from a tiny random ResNet teacher (no download).
_base_ = './snnet-v1_levit-192-256_in1k.py'

levit = dict(key_dim=8, num_heads=(2, 3, 4), depth=(3, 3, 1), img_size=32, num_classes=5)
model = dict(
    teacher=dict(name='resnet18', checkpoint=None, pretrained=False,
                 model_kwargs=dict(num_classes=5, layers=(1, 1, 1, 1), channels=(8, 16, 32, 64), stem_width=8)),
    backbone=dict(anchors=[
        dict(name='levit_192', checkpoint=None, img_size=32, model_kwargs=dict(levit, embed_dim=(16, 24, 32))),
        dict(name='levit_256', checkpoint=None, img_size=32, model_kwargs=dict(levit, embed_dim=(24, 32, 40))),
    ]))
