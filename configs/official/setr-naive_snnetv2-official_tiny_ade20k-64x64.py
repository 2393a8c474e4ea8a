# Tiny CPU variant of the converted-official SETR-naive config (relative-position anchors, 64x64).
# Data: python tools/make_tiny_data.py ade20k data/tiny/ade20k
_base_ = ['../segmentation/setr-naive_snnetv2_tiny_ade20k-64x64.py']

tiny = dict(name='deit3_small_patch16_relpos', img_size=64)
model = dict(backbone=dict(
    anchors=[dict(tiny, model_kwargs=dict(embed_dim=32, depth=2, num_heads=2)),
             dict(tiny, model_kwargs=dict(embed_dim=64, depth=4, num_heads=2))],
    lora_alpha=1.0))
