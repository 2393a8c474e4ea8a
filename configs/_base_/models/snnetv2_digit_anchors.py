# The classification quickstart's two trained anchors (S width 24, L width 96, 6 blocks, patch 8;
# configs/quickstart/digits_anchors.py) as the dense quickstart configs stitch them: at the digit
# scenes' 64x64 (trained at 32x32: position embeddings resampled), loaded through checkpoint= as the
# real configs load ImageNet anchors (tools/quickstart.py points checkpoint= at its work dir).
# A task config uses them as `anchors={{_base_.anchors}}` in its SNNetv2 backbone.
vit = dict(name='vit_tiny_patch16_224', img_size=64)
anchors = [
    dict(vit, checkpoint='work_dirs/quickstart/anchor_small.pth',
         model_kwargs=dict(patch_size=8, embed_dim=24, depth=6, num_heads=2, num_classes=10, global_pool='avg')),
    dict(vit, checkpoint='work_dirs/quickstart/anchor_large.pth',
         model_kwargs=dict(patch_size=8, embed_dim=96, depth=6, num_heads=4, num_classes=10, global_pool='avg')),
]
