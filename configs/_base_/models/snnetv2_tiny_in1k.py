# The SN-Netv2 classifier at CPU size: random-init tiny ViT anchors (width 32/64, depth 2/4) for
# 32x32 images and 5 classes, LoRA rank 4; no CutMix on 5-class tiny data.
_base_ = './snnetv2_deit3-s-l_in1k.py'

tiny = dict(name='vit_tiny_patch16_224', img_size=32)
model = dict(
    backbone=dict(
        anchors=[dict(tiny, model_kwargs=dict(embed_dim=32, depth=2, num_heads=2, num_classes=5)),
                 dict(tiny, model_kwargs=dict(embed_dim=64, depth=4, num_heads=2, num_classes=5))],
        lora_rank=4),
    train_cfg=None)
