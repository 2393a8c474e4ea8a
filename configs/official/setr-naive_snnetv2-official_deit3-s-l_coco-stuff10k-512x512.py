# Published SN-Netv2 COCO-Stuff-10k model (SETR-naive, DeiT3-S/L, LoRA-16, 80k iterations), converted
# with tools/convert_official.py; official test settings (slide, 512 crops, stride 341).
_base_ = ['../segmentation/setr-naive_snnetv2_deit3-s-l_8xb2-80k_coco-stuff10k-512x512.py']

model = dict(
    backbone=dict(
        anchors=[dict(name='deit3_small_patch16_relpos', img_size=512, drop_path_rate=0.1),
                 dict(name='deit3_large_patch16_relpos', img_size=512, drop_path_rate=0.1)],
        lora_rank=16,
        lora_alpha=1.0),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
