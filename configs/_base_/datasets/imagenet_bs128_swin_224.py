# ImageNet-1k with mmpretrain's Swin / DeiT pipeline (RandAugment m9, random erasing 0.25), 128
# images per GPU.
_base_ = 'mmpretrain::_base_/datasets/imagenet_bs64_swin_224.py'

train_dataloader = dict(batch_size=128)
