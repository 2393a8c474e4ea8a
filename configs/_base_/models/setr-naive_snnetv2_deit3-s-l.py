# SETR-naive (mmseg's SETR-UP decode head on block 23 + three auxiliary heads on blocks 9, 14, 19)
# on a stitched DeiT3-S/L backbone at 512x512 with LoRA rank 16 stitching layers, 150 classes.
_base_ = ['mmseg::_base_/models/setr_naive.py', './snnetv2_deit3-s-l_512.py']

norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(size=(512, 512))
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    # The decode head reads block 23, the auxiliary heads 9, 14, 19. Stitch for val/test:
    # None = DeiT3-L; --cfg-options model.backbone.stitch=K.
    backbone=dict(_delete_=True, type='SNNetv2', anchors=_base_.anchors, out_indices=(9, 14, 19, 23),
                  lora_rank=16, stitch=None),
    decode_head=dict(num_classes=150),
    auxiliary_head=[
        dict(type='SETRUPHead', in_channels=1024, channels=256, in_index=i, num_classes=150, dropout_ratio=0,
             norm_cfg=norm_cfg, act_cfg=dict(type='ReLU'), num_convs=2, kernel_size=1, align_corners=False,
             loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4))
        for i in range(3)
    ],
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
