# UperNet + MultiLevelNeck (mmseg's ViT-UperNet) on a stitched DeiT3-S/L backbone at 512x512 with
# LoRA rank 16 stitching layers, 150 classes.
_base_ = ['mmseg::_base_/models/upernet_vit-b16_ln_mln.py', './snnetv2_deit3-s-l_512.py']

data_preprocessor = dict(size=(512, 512))
model = dict(
    data_preprocessor=data_preprocessor,
    neck=dict(in_channels=[1024] * 4, out_channels=768),  # every stitch outputs DeiT3-L width
    decode_head=dict(in_channels=[768] * 4, num_classes=150),
    auxiliary_head=dict(in_channels=768, num_classes=150),
    pretrained=None,
    # Blocks 9, 14, 19, 23 of DeiT3-L (DeiT3-S routes read 4, 7, 9, 11). Stitch for val/test:
    # None = DeiT3-L; --cfg-options model.backbone.stitch=K.
    backbone=dict(_delete_=True, type='SNNetv2', anchors=_base_.anchors, out_indices=(9, 14, 19, 23),
                  lora_rank=16, stitch=None))
