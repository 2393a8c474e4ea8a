# The ViT-UperNet model at CPU size: random-init tiny ViT anchors (width 32/64, depth 2/4) at
# 64x64, LoRA rank 4, narrow BN heads (SyncBN has no CPU kernel).
_base_ = './upernet_snnetv2_deit3-s-l.py'

norm_cfg = dict(type='BN', requires_grad=True)
tiny = dict(name='vit_tiny_patch16_224', img_size=64)
model = dict(
    data_preprocessor=dict(size=(64, 64)),
    neck=dict(in_channels=[64] * 4, out_channels=32),
    decode_head=dict(in_channels=[32] * 4, channels=32, pool_scales=(1, 2), norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=32, channels=16, norm_cfg=norm_cfg),
    backbone=dict(anchors=[dict(tiny, model_kwargs=dict(embed_dim=32, depth=2, num_heads=2)),
                           dict(tiny, model_kwargs=dict(embed_dim=64, depth=4, num_heads=2))],
                  out_indices=(0, 1, 2, 3), lora_rank=4))
