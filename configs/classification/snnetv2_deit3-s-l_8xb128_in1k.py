# SN-Netv2 on ImageNet-1k: stitched DeiT3-S/L, every stitch classified by the head of the anchor
# it ends in (pretrained heads used as they are). Published recipe: 50 epochs, LAMB lr 3e-5
# (unscaled, 8 GPUs x 128 = 1024 images/iter), wd 0.02, cosine with 5 warm-up epochs, CutMix 1.0,
# label smoothing 0.1, drop path 0.05 (S) / 0.4 (L), low-rank stitching layers r=64, sampling
# groups 1 GFLOP wide.
_base_ = [
    'mmpretrain::deit/deit-small_4xb256_in1k.py',
    '../_base_/snnet_training.py',
]

# Anchor weights: the ImageNet-21k DeiT3 (fine-tuned on 1k at 224) SN-Netv2 used, fetched by timm;
# a local copy: checkpoint='checkpoints/deit3_small_patch16_224.pth' (README: "Anchor sources").
anchors = [
    dict(name='deit3_small_patch16_224', checkpoint='timm:fb_in22k_ft_in1k',
         drop_path_rate=0.05),
    dict(name='deit3_large_patch16_224', checkpoint='timm:fb_in22k_ft_in1k',
         drop_path_rate=0.4),
]
model = dict(
    # out_indices=None: the backbone returns (logits,) from the ending anchor's norm and head.
    backbone=dict(_delete_=True, type='SNNetv2', anchors=anchors, lora_rank=64, stitch=None),
    head=dict(_delete_=True, type='ClsHead', topk=(1, 5),  # ClsHead passes the logits through
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    init_cfg=None,  # the upstream TruncNormal/Constant init would overwrite the pretrained anchors
    train_cfg=dict(augments=[dict(type='CutMix', alpha=1.0)]))

train_dataloader = dict(batch_size=128)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='Lamb', lr=3e-5, weight_decay=0.02),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                       custom_keys={'.cls_token': dict(decay_mult=0.0), '.pos_embed': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=45, eta_min=1e-6, by_epoch=True, begin=5, end=50),
]
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=5)
auto_scale_lr = dict(base_batch_size=1024, enable=False)  # 3e-5 is the published, unscaled lr

custom_hooks = [dict(type='StitchSamplingHook', num_init_images=100, gap_gflops=1.0)]
val_cfg = dict(type='StitchValLoop', stitches='anchors')
