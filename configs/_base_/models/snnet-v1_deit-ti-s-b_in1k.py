# SN-Net v1's DeiT-Ti/S/B classifier: neighbouring pairs Ti-S and S-B stitched small-to-large with
# v1's sliding window (kernel 2, stride 1): 3 anchors + 2 x 34 = 71 stitches, full-rank stitching
# layers, drop path 0.1; ImageNet-1k DeiT weights fetched by timm (or local .pth paths).
_base_ = './snnet-v1_distilled-classifier.py'

anchors = [
    dict(name=f'deit_{size}_patch16_224', checkpoint='timm:fb_in1k', drop_path_rate=0.1)
    for size in ('tiny', 'small', 'base')
]
model = dict(tau=1.0, backbone=dict(anchors=anchors, lora_rank=None))
