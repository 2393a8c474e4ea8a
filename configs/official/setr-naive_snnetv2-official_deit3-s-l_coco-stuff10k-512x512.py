# Published SN-Netv2 COCO-Stuff-10k model (SETR-naive, DeiT3-S/L, LoRA-16, 80k iterations), converted
# with tools/convert_official.py; official test settings (slide, 512 crops, stride 341).
_base_ = [
    '../_base_/models/setr-naive_snnetv2-official_deit3-s-l.py',
    '../_base_/datasets/coco-stuff10k_bs2_512x512.py', '../_base_/schedules/sgd-poly_80k.py',
    'mmseg::_base_/default_runtime.py', '../_base_/snnet_training.py',
]

model = dict(decode_head=dict(num_classes=_base_.num_classes),  # lists replace: all three heads
             auxiliary_head=[dict(h, num_classes=_base_.num_classes) for h in _base_.model.auxiliary_head])
