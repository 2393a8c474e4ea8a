# The stitched-Swin UperNet model at CPU size: random-init tiny Swin anchors (width 16, depths
# 1-1-2-1 / 1-1-3-1, window 2) at 64x64, narrow BN heads (SyncBN has no CPU kernel).
_base_ = './upernet_snnet-v1_swin-t-s.py'

norm_cfg = dict(type='BN', requires_grad=True)
tiny = dict(name='swin_tiny_patch4_window7_224', img_size=64)
model = dict(
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(anchors=[
        dict(tiny, model_kwargs=dict(embed_dim=16, depths=(1, 1, depth, 1), num_heads=(1, 1, 2, 2), window_size=2))
        for depth in (2, 3)]),
    decode_head=dict(in_channels=[16, 32, 64, 128], channels=32, pool_scales=(1, 2), norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels=64, channels=16, norm_cfg=norm_cfg))
