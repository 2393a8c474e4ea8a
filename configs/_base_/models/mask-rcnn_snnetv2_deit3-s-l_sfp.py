# Mask R-CNN on a stitched DeiT3-S/L backbone with ViTDet's simple feature pyramid at 1024x1024:
# LN in the pyramid and the RoI heads (4conv1fc box head), 2-conv RPN, drop path 0.4 for the large
# anchor, LoRA r=16 stitching layers.
_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'

# Anchor weights: the ImageNet-21k DeiT3 SN-Netv2 used, fetched by timm (a local copy: a .pth path,
# README: "Anchor sources"); position embeddings are resampled
# from 14x14 to 64x64 (img_size) when loading, and on the fly for other test sizes.
anchors = [
    dict(name='deit3_small_patch16_224', checkpoint='timm:fb_in22k_ft_in1k',
         img_size=1024, drop_path_rate=0.1),  # ViTDet-B's rate for a 12-block ViT
    dict(name='deit3_large_patch16_224', checkpoint='timm:fb_in22k_ft_in1k',
         img_size=1024, drop_path_rate=0.4),  # ViTDet-L
]
norm_cfg = dict(type='LN2d', requires_grad=True)  # LayerNorm over channels (snnet_mm registers it)
model = dict(
    data_preprocessor=dict(
        pad_size_divisor=32,
        batch_augments=[dict(type='BatchFixedSizePad', size=(1024, 1024), pad_mask=True)]),
    backbone=dict(
        _delete_=True,
        type='SNNetv2',
        anchors=anchors,
        out_indices=(23,),  # last block of DeiT3-L (DeiT3-S routes read block 11): the stride-16 map
        lora_rank=16,
        stitch=None),  # stitch for val/test: None = DeiT3-L; --cfg-options model.backbone.stitch=K
    neck=dict(
        _delete_=True,
        type='SimpleFeaturePyramid',
        in_channels=1024,  # every stitch outputs DeiT3-L width
        out_channels=256,
        scale_factors=(4.0, 2.0, 1.0, 0.5),  # strides 4, 8, 16, 32 from the stride-16 map
        num_extra_levels=1,  # stride 64 for the RPN
        strides=(4, 8, 16, 32, 64),  # = rpn_head.anchor_generator.strides (checked when built)
        norm='LN'),
    rpn_head=dict(num_convs=2),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=256, norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))
