# The DPT depth model at CPU size: random-init tiny ViT anchors (width 32/64, depth 2/4) at 64x64,
# LoRA rank 4, a narrow head; test on the whole 64x80 image and its flip (one window).
_base_ = './dpt_snnetv2_deit3-s-l.py'

tiny = dict(name='vit_tiny_patch16_224', img_size=64)
model = dict(
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(anchors=[dict(tiny, model_kwargs=dict(embed_dim=32, depth=2, num_heads=2)),
                           dict(tiny, model_kwargs=dict(embed_dim=64, depth=4, num_heads=2))],
                  out_indices=(0, 1, 2, 3), lora_rank=4),
    decode_head=dict(in_channels=64, channels=16, post_process_channels=(8, 16, 32, 32), head_channels=8,
                     loss_decode=dict(warm_iter=10)),  # 240 iterations in all
    test_cfg=dict(crop_size=(64, 80), stride=(64, 80)))  # one window: the whole 64x80 image + flip
