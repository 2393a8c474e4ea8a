# The SN-Netv2 ADE20K recipe with the published anchor layout: DeiT3 blocks plus a relative position
# bias per block (zero-initialised, then trained) and no final norm, as the official mmseg MAE anchors
# (snnet_mm/interop/relpos_vit.py). Same timm DeiT3 weights as the timm-DeiT3 config next to it.
_base_ = ['./setr-naive_snnetv2_deit3-s-l_8xb2-160k_ade20k-512x512.py']

model = dict(backbone=dict(anchors=[
    dict(name='deit3_small_patch16_relpos', checkpoint='timm:deit3_small_patch16_224.fb_in22k_ft_in1k',
         img_size=512, drop_path_rate=0.1),
    dict(name='deit3_large_patch16_relpos', checkpoint='timm:deit3_large_patch16_224.fb_in22k_ft_in1k',
         img_size=512, drop_path_rate=0.1),
]))
