# UperNet + MultiLevelNeck on a stitched DeiT3-S/L backbone, ADE20K 512x512, 160k iterations,
# 8 GPUs x 2 images; mmseg's ViT-UperNet recipe (AdamW 6e-5, 1.5k warm-up, poly).
_base_ = [
    'mmseg::vit/vit_vit-b16_mln_upernet_8xb2-160k_ade20k-512x512.py',
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
        out_indices=(9, 14, 19, 23),  # blocks of DeiT3-L; DeiT3-S routes read 4, 7, 9, 11
        lora_rank=16,
        stitch=None),  # stitch for val/test: None = DeiT3-L; --cfg-options model.backbone.stitch=K
    neck=dict(in_channels=[1024] * 4, out_channels=768),  # every stitch outputs DeiT3-L width
    decode_head=dict(in_channels=[768] * 4, num_classes=150),
    auxiliary_head=dict(in_channels=768, num_classes=150))

val_cfg = dict(type='StitchValLoop', stitches='anchors')
