# Quickstart step 1: train two small ViT anchors from scratch on sklearn's digits (patch 8), each
# digit drawn as the dense quickstart's scenes draw it: a card of 12-32 px at a random place on
# the textured plane, in a 32x32 picture (a new card every epoch; validation: one fixed card per
# digit). The SNNetv2 backbone holds both anchors; kinds=['anchor'] keeps only them, and the
# sampling hook alternates them, so one run trains both through the same machinery as the real
# configs. The anchors differ in width, 4x (24 and 96), as DeiT-S and DeiT-L differ in size.
# Average pooling of the patch tokens (not a class token): every token then learns which digit
# it is part of, which is what the dense heads read (with a class token the stitched UperNet of
# the scenes learned the digits no faster from L than from S).
_base_ = ['mmpretrain::_base_/default_runtime.py', '../_base_/snnet_training.py']
# DigitsDataset lives in snnet_mm.quickstart: upstream tools and `snnet demo` build it from here.
custom_imports = dict(imports=['snnet_mm', 'snnet_mm.quickstart'], allow_failed_imports=False)

vit = dict(name='vit_tiny_patch16_224', img_size=32)
card_sides = (12, 32)
anchors = [
    dict(vit, model_kwargs=dict(patch_size=8, embed_dim=24, depth=6, num_heads=2, num_classes=10, global_pool='avg')),
    dict(vit, model_kwargs=dict(patch_size=8, embed_dim=96, depth=6, num_heads=4, num_classes=10, global_pool='avg')),
]
model = dict(
    type='ImageClassifier',
    backbone=dict(type='SNNetv2', anchors=anchors, kinds=['anchor']),
    neck=None,
    head=dict(type='ClsHead', topk=(1,), loss=dict(type='CrossEntropyLoss')))
data_preprocessor = dict(type='ClsDataPreprocessor', num_classes=10, mean=[127.5] * 3, std=[127.5] * 3)

train_pipeline = [dict(type='RandomDigitCard', sides=card_sides), dict(type='PackInputs')]
pipeline = [dict(type='PackInputs')]
train_dataloader = dict(  # one worker draws the cards while the main process trains
    batch_size=64, num_workers=1, persistent_workers=True,
    dataset=dict(type='DigitsDataset', split='train', card_sides=card_sides, pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=256, num_workers=0,
    dataset=dict(type='DigitsDataset', split='val', card_sides=card_sides, pipeline=pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1,))
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05), clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=3, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, eta_min=1e-5, begin=3, end=120, T_max=117),
]
train_cfg = dict(by_epoch=True, max_epochs=120, val_interval=120)
val_cfg = dict(type='StitchValLoop', stitches='anchors')
test_cfg = dict()
# Same table on every run of the same machine (tools/quickstart.py also fixes the thread count).
randomness = dict(seed=0, deterministic=True)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=120))
custom_hooks = [dict(type='StitchSamplingHook', strategy='uniform', num_init_images=64)]
