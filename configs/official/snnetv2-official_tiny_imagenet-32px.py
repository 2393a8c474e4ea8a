# Tiny CPU variant of the converted-official ImageNet config (tiny DeiT3 anchors, 5 classes, 32x32).
# Data: python tools/make_tiny_data.py imagenet data/tiny/imagenet
_base_ = ['../classification/snnetv2_tiny_imagenet-32px.py']

tiny = dict(name='deit3_small_patch16_224', img_size=32)
model = dict(backbone=dict(
    anchors=[dict(tiny, model_kwargs=dict(embed_dim=32, depth=2, num_heads=2, num_classes=5)),
             dict(tiny, model_kwargs=dict(embed_dim=64, depth=4, num_heads=2, num_classes=5))],
    lora_alpha=1.0))
