# Published SN-Netv2 ADE20K model with DeiT3-B/L anchors and LoRA-4 stitching layers.
_base_ = ['./setr-naive_snnetv2-official_deit3-s-l_ade20k-512x512.py']

model = dict(backbone=dict(
    anchors=[dict(name='deit3_base_patch16_relpos', img_size=512, drop_path_rate=0.1),
             dict(name='deit3_large_patch16_relpos', img_size=512, drop_path_rate=0.1)],
    lora_rank=4))
