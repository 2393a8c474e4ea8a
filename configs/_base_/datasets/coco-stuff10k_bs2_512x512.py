# COCO-Stuff-10k (mmseg's dataset base: 512x512 crops) at 2 training images per GPU.
_base_ = 'mmseg::_base_/datasets/coco-stuff10k.py'

num_classes = 171
train_dataloader = dict(batch_size=2)  # x 8 GPUs = 16 images/iter
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader
