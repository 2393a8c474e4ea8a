# Published SN-Netv2 ADE20K model (SETR-naive, DeiT3-S/L, LoRA-16 stitching layers, 160k iterations)
# converted with tools/convert_official.py: the anchors are the relative-position DeiT3 of the
# official mmseg MAE backbone, the heads are upstream SETRUPHead. Official test settings: sliding
# window, 512 crops, stride 341. Pick a stitch with --cfg-options model.backbone.stitch=official:29.
_base_ = ['../segmentation/setr-naive_snnetv2_deit3-s-l_8xb2-160k_ade20k-512x512.py']

model = dict(
    backbone=dict(
        anchors=[dict(name='deit3_small_patch16_relpos', img_size=512, drop_path_rate=0.1),
                 dict(name='deit3_large_patch16_relpos', img_size=512, drop_path_rate=0.1)],
        lora_rank=16,
        lora_alpha=1.0),  # official LoRA scale: alpha / r with alpha = 1
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
