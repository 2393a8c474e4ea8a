# Published SN-Netv2 ImageNet-1k classifier (DeiT3-S/L, LoRA-64 stitching layers, 50 epochs) converted
# with tools/convert_official.py. Official evaluation: resize the short side to 224 (crop ratio 1.0),
# centre crop 224.
_base_ = ['../classification/snnetv2_deit3-s-l_8xb64_in1k.py']

model = dict(backbone=dict(
    anchors=[dict(name='deit3_small_patch16_224'), dict(name='deit3_large_patch16_224')],
    lora_rank=64,
    lora_alpha=1.0))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
