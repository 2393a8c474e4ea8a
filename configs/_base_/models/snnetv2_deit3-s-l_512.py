# The stitched DeiT3-S/L anchors of SN-Netv2's dense 512x512 recipes (ADE20K, COCO-Stuff-10k):
# position embeddings resampled to 512x512 when loading, drop path 0.1. The task bases next to
# this file put them into an SNNetv2 backbone (`anchors=_base_.anchors`).
# Anchor weights: the ImageNet-21k DeiT3 (fine-tuned on 1k at 224) SN-Netv2 used, fetched by timm;
# a local copy: checkpoint='checkpoints/deit3_small_patch16_224.pth' (README: "Anchor sources").
anchors = [
    dict(name='deit3_small_patch16_224', checkpoint='timm:fb_in22k_ft_in1k',
         img_size=512, drop_path_rate=0.1),
    dict(name='deit3_large_patch16_224', checkpoint='timm:fb_in22k_ft_in1k',
         img_size=512, drop_path_rate=0.1),
]
