# ImageNet-1k as DeiT III trained on it (SN-Netv2's classification recipe): 3-Augment with its simple
# random crop (--ThreeAugment --src): resize, crop with reflect padding, flip, one of grey / solarise /
# blur, colour jitter 0.3; no RandAugment, no random erasing. Images are decoded with PIL like
# torchvision. Repeated augmentation x3 (DeiT's RASampler: the official config's "no_repeated_aug" key
# is not an attribute main.py reads, so repeated_aug kept its default True), 64 images per GPU.
_base_ = 'mmpretrain::_base_/datasets/imagenet_bs64_swin_224.py'

train_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='RandomCrop', crop_size=224, padding=4, padding_mode='reflect'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomChoice', transforms=[
        [dict(type='RandomGrayscale', prob=1.0, keep_channels=True, channel_weights=(0.114, 0.587, 0.299))],
        [dict(type='Solarize', thr=128, prob=1.0)],
        [dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=1.0)],
    ]),
    dict(type='ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3),
    dict(type='PackInputs'),
]
# eval_crop_ratio 1.0: resize the short edge to 224 (not 256) and take the centre 224x224.
test_pipeline = [
    dict(type='LoadImageFromFile', imdecode_backend='pillow'),
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=64, sampler=dict(type='RepeatAugSampler', num_repeats=3, shuffle=True),
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
