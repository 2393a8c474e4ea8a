# ImageNet-1k with mmpretrain's DeiT pipeline (RandAugment m9, random erasing 0.25), 128 images per
# GPU, repeated augmentation x3 (DeiT's RASampler, on by default in its params.py).
_base_ = './imagenet_bs128_swin_224.py'

train_dataloader = dict(sampler=dict(type='RepeatAugSampler', num_repeats=3, shuffle=True))
