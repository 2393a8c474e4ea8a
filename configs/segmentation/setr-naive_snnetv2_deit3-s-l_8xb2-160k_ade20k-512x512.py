# SN-Netv2's ADE20K recipe: SETR-naive (SETR-UP head + 3 auxiliary heads) on stitched DeiT3-S/L,
# 512x512 crops, 160k iterations, 8 GPUs x 2 = 16 images/iter, SGD lr 0.01 (momentum 0.9, weight
# decay 5e-4, one lr for every parameter) poly, sliding-window test (512 crops, stride 341), LoRA
# rank 16 stitching layers.
_base_ = [
    'mmseg::setr/setr_vit-l_naive_8xb2-160k_ade20k-512x512.py',
    '../_base_/snnet_training.py',
]

# Anchor weights: the ImageNet-21k DeiT3 (fine-tuned on 1k at 224) SN-Netv2 used, fetched by timm;
# a local copy: checkpoint='checkpoints/deit3_small_patch16_224.pth' (README: "Anchor sources").
anchors = [
    dict(name='deit3_small_patch16_224', checkpoint='timm:fb_in22k_ft_in1k',
         img_size=512, drop_path_rate=0.1),
    dict(name='deit3_large_patch16_224', checkpoint='timm:fb_in22k_ft_in1k',
         img_size=512, drop_path_rate=0.1),
]
model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='SNNetv2',
        anchors=anchors,
        out_indices=(9, 14, 19, 23),  # decode head reads 23, auxiliary heads 9, 14, 19
        lora_rank=16,
        stitch=None))

val_cfg = dict(type='StitchValLoop', stitches='anchors')

# The optimizer that ran (docs/recipes.md): the official config's top-level
# `optimizer = dict(lr=0.01, weight_decay=0.0, paramwise_cfg=head x10)` never reached its
# optim_wrapper, which mmseg's schedule_160k.py had already built: SGD lr 0.01, momentum 0.9,
# weight decay 5e-4, no head multiplier. mmseg's SETR base sets the dead values; drop them.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005),
    clip_grad=None)
