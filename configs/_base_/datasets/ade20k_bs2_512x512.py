# ADE20K (mmseg's dataset base: 512x512 crops, 2048x512 test images) at 2 training images per GPU.
_base_ = 'mmseg::_base_/datasets/ade20k.py'

train_dataloader = dict(batch_size=2)  # x 8 GPUs = 16 images/iter
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
