# SN-Netv2's ImageNet-1k classifier: stitched DeiT3-S/L (134 stitches) with low-rank stitching layers
# r=64; every stitch is classified by the head of the anchor it ends in (pretrained heads used as they
# are), CutMix 1.0 and label smoothing 0.1.
# Anchor weights: the ImageNet-21k DeiT3 (fine-tuned on 1k at 224) SN-Netv2 used, fetched by timm;
# a local copy: checkpoint='checkpoints/deit3_small_patch16_224.pth' (README: "Anchor sources").
anchors = [
    dict(name='deit3_small_patch16_224', checkpoint='timm:fb_in22k_ft_in1k', drop_path_rate=0.05),
    dict(name='deit3_large_patch16_224', checkpoint='timm:fb_in22k_ft_in1k', drop_path_rate=0.4),
]
model = dict(
    type='ImageClassifier',
    # out_indices=None: the backbone returns (logits,) from the ending anchor's norm and head.
    backbone=dict(type='SNNetv2', anchors=anchors, lora_rank=64, stitch=None),
    neck=None,
    head=dict(type='ClsHead', topk=(1, 5),  # ClsHead passes the logits through
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    init_cfg=None,  # an upstream TruncNormal/Constant init would overwrite the pretrained anchors
    train_cfg=dict(augments=[dict(type='CutMix', alpha=1.0)]))
