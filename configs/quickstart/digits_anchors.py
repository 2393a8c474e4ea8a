# Quickstart step 1: train two small ViT anchors from scratch on sklearn's digits (32x32, patch 8).
# The SNNetv2 backbone holds both; kinds=['anchor'] keeps only the two anchors, and the sampling
# hook alternates them, so one run trains both through the same machinery as the real configs.
# Digits saturate any ViT given enough training (width 48 / depth 6 and width 96 / depth 12 both
# reach ~97-98 %), so the anchors differ in width, 4x: in 30 epochs each the narrow one stays
# clearly below the wide one, as DeiT-S stays below DeiT-L on ImageNet.
_base_ = ['mmpretrain::_base_/default_runtime.py', '../_base_/snnet_training.py']
# DigitsDataset lives in snnet_mm.quickstart: upstream tools and `snnet demo` build it from here.
custom_imports = dict(imports=['snnet_mm', 'snnet_mm.quickstart'], allow_failed_imports=False)

vit = dict(name='vit_tiny_patch16_224', img_size=32)
anchors = [
    dict(vit, model_kwargs=dict(patch_size=8, embed_dim=24, depth=6, num_heads=2, num_classes=10)),
    dict(vit, model_kwargs=dict(patch_size=8, embed_dim=96, depth=6, num_heads=4, num_classes=10)),
]
model = dict(
    type='ImageClassifier',
    backbone=dict(type='SNNetv2', anchors=anchors, kinds=['anchor']),
    neck=None,
    head=dict(type='ClsHead', topk=(1,), loss=dict(type='CrossEntropyLoss')))
data_preprocessor = dict(type='ClsDataPreprocessor', num_classes=10, mean=[127.5] * 3, std=[127.5] * 3)

# Random shifts of up to 2 px (a quarter patch): without them L memorises the 1438 training digits
# (training loss ~0.01) and stitches that are mostly L land within a few validation images of L,
# above it as often as below; with them L generalises better and every block of S costs accuracy.
train_pipeline = [dict(type='RandomCrop', crop_size=32, padding=2), dict(type='PackInputs')]
pipeline = [dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=64, num_workers=0,
    dataset=dict(type='DigitsDataset', split='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=256, num_workers=0,
    dataset=dict(type='DigitsDataset', split='val', pipeline=pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1,))
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05), clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=3, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, eta_min=1e-5, begin=3, end=60, T_max=57),
]
train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=60)
val_cfg = dict(type='StitchValLoop', stitches='anchors')
test_cfg = dict()
# Same table on every run of the same machine (tools/quickstart.py also fixes the thread count).
randomness = dict(seed=0, deterministic=True)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=60))
custom_hooks = [dict(type='StitchSamplingHook', strategy='uniform', num_init_images=64)]
