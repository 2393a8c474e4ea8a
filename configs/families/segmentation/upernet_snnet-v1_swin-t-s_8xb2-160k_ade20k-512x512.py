# UperNet on a stitched Swin-T/S backbone (SN-Net v1 stitches inside stages 0-2), ADE20K 512x512,
# 160k iterations, 8 GPUs x 2 images; mmseg's UperNet-Swin recipe (AdamW 6e-5, wd 0.01, 1.5k
# warm-up, poly, drop path 0.3). Every stitch returns Swin-S widths at strides 4/8/16/32.
_base_ = [
    'mmseg::swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py',
    '../../_base_/snnet_training.py',
]

# Anchor weights: timm tags of the ImageNet-1k weights (README: "Anchor weights").
anchors = [
    dict(name='swin_tiny_patch4_window7_224', checkpoint='timm:swin_tiny_patch4_window7_224.ms_in1k',
         img_size=512, drop_path_rate=0.3),
    dict(name='swin_small_patch4_window7_224', checkpoint='timm:swin_small_patch4_window7_224.ms_in1k',
         img_size=512, drop_path_rate=0.3),
]
model = dict(
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='SNNetv2',
        anchors=anchors,
        mode='v1',
        out_indices=(0, 1, 2, 3),  # stages; Swin-T routes are projected onto Swin-S widths
        stitch=None),  # stitch for val/test: None = Swin-S; --cfg-options model.backbone.stitch=K
    decode_head=dict(in_channels=[96, 192, 384, 768], num_classes=150),
    auxiliary_head=dict(in_channels=384, num_classes=150))

val_cfg = dict(type='StitchValLoop', stitches='anchors')
