# SN-Net v1 with three anchors (DeiT-Ti/S/B): neighbouring pairs Ti-S and S-B stitched
# small-to-large with v1's sliding window (kernel 2, stride 1): 3 anchors + 2 x 34 = 71 stitches,
# full-rank stitching layers, uniform stitch sampling. The schedule is the SN-Netv2 ImageNet one.
_base_ = ['./snnetv2_deit3-s-l_8xb128_in1k.py']

model = dict(backbone=dict(
    _delete_=True,
    type='SNNetv2',
    mode='v1',
    anchors=[  # ImageNet-1k DeiT weights (SN-Net v1), fetched by timm; or local .pth paths
        dict(name='deit_tiny_patch16_224', checkpoint='timm:fb_in1k'),
        dict(name='deit_small_patch16_224', checkpoint='timm:fb_in1k'),
        dict(name='deit_base_patch16_224', checkpoint='timm:fb_in1k'),
    ],
    lora_rank=None,
    stitch=None))

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=100, strategy='uniform')]
