# The SETR-naive model at CPU size: random-init tiny ViT anchors (width 32/64, depth 2/4) at 64x64,
# LoRA rank 4, narrow BN heads (SyncBN has no CPU kernel), sliding-window test over 64x64 crops.
_base_ = './setr-naive_snnetv2_deit3-s-l.py'

norm_cfg = dict(type='BN', requires_grad=True)
tiny = dict(name='vit_tiny_patch16_224', img_size=64)
head = dict(type='SETRUPHead', in_channels=64, channels=16, num_classes=150, dropout_ratio=0,
            norm_cfg=norm_cfg, act_cfg=dict(type='ReLU'), kernel_size=1, align_corners=False)
model = dict(
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(anchors=[dict(tiny, model_kwargs=dict(embed_dim=32, depth=2, num_heads=2)),
                           dict(tiny, model_kwargs=dict(embed_dim=64, depth=4, num_heads=2))],
                  out_indices=(0, 1, 2, 3), lora_rank=4),
    decode_head=dict(head, in_index=3, num_convs=1,
                     loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=[
        dict(head, in_index=i, num_convs=2,
             loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4))
        for i in range(3)
    ],
    test_cfg=dict(mode='slide', crop_size=(64, 64), stride=(43, 43)))
