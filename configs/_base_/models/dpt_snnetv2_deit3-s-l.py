# SN-Netv2's depth model: DPT (class-token readout 'project', relu + min_depth output, the toolbox's
# SigLoss with warm-up) on stitched DeiT3-S/L at 416x544 with LoRA rank 16 stitching layers, depth
# 1e-3..10 m. Test: the whole 480x640 image and its horizontal flip.
min_depth, max_depth = 1e-3, 10.0

# Anchor weights: the ImageNet-21k DeiT3 (fine-tuned on 1k at 224) SN-Netv2 used, fetched by timm;
# a local copy: checkpoint='checkpoints/deit3_small_patch16_224.pth' (README: "Anchor sources").
# Position embeddings are resampled to the training crop when loading, and on the fly for other
# sizes (480x640 test images).
anchors = [
    dict(name='deit3_small_patch16_224', checkpoint='timm:fb_in22k_ft_in1k',
         img_size=(416, 544)),
    dict(name='deit3_large_patch16_224', checkpoint='timm:fb_in22k_ft_in1k',
         img_size=(416, 544)),
]
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    bgr_to_rgb=True,
    size=(416, 544),
    pad_val=0,
    seg_pad_val=0)  # padded depth = 0 = "no depth": ignored by the loss (255 would be 255 m)
model = dict(
    type='DepthEstimator',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='SNNetv2',
        anchors=anchors,
        out_indices=(4, 11, 17, 23),  # DPT on DeiT3-L; DeiT3-S routes read blocks 2, 5, 8, 11
        with_cls_token=True,          # (map, class token) pairs for the 'project' readout
        lora_rank=16,
        stitch=None),  # stitch for val/test: None = DeiT3-L; --cfg-options model.backbone.stitch=K
    decode_head=dict(
        type='DPTDepthHead',
        in_channels=1024,  # every stitch outputs DeiT3-L's width
        channels=256,
        post_process_channels=(96, 192, 384, 768),
        readout_type='project',
        norm_cfg=None,
        min_depth=min_depth,
        max_depth=max_depth,
        activation='relu',  # relu(x) + min_depth, as the toolbox's DPT head
        # The toolbox's SigLoss over all valid pixels of the batch, scale-only for 100 iterations.
        loss_decode=dict(type='SigLoss', loss_weight=1.0, warm_up=True, warm_iter=100)),
    train_cfg=dict(),
    # slide_flip with one window of the whole test image = whole-image inference averaged with
    # its horizontal flip (the published evaluation).
    test_cfg=dict(mode='slide_flip', crop_size=(480, 640), stride=(480, 640)))

