# Tiny CPU variant of the COCO-Stuff-10k SETR-naive config (171 classes).
# Data: python tools/make_tiny_data.py coco_stuff10k data/tiny/coco_stuff10k
_base_ = [
    '../_base_/models/setr-naive_snnetv2_tiny.py', '../_base_/datasets/tiny-coco-stuff10k_bs4_64x64.py',
    '../_base_/schedules/tiny_sgd-poly_20i.py', 'mmseg::_base_/default_runtime.py',
    '../_base_/snnet_training.py',
]

model = dict(decode_head=dict(num_classes=_base_.num_classes),  # lists replace: all three heads
             auxiliary_head=[dict(h, num_classes=_base_.num_classes) for h in _base_.model.auxiliary_head])
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=8, gap_gflops=0.0005)]
