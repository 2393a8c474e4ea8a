# UperNet (mmseg's UperNet-Swin) on a stitched Swin-T/S backbone (SN-Net v1 stitches inside stages
# 0-2) at 512x512, 150 classes. Every stitch returns Swin-S widths at strides 4/8/16/32.
_base_ = 'mmseg::_base_/models/upernet_swin.py'

# Anchor weights: timm tags of the ImageNet-1k weights (README: "Anchor weights").
anchors = [
    dict(name='swin_tiny_patch4_window7_224', checkpoint='timm:swin_tiny_patch4_window7_224.ms_in1k',
         img_size=512, drop_path_rate=0.3),
    dict(name='swin_small_patch4_window7_224', checkpoint='timm:swin_small_patch4_window7_224.ms_in1k',
         img_size=512, drop_path_rate=0.3),
]
data_preprocessor = dict(size=(512, 512))
model = dict(
    data_preprocessor=data_preprocessor,
    pretrained=None,
    # Stages 0-3 (Swin-T routes are projected onto Swin-S widths). Stitch for val/test: None = Swin-S;
    # --cfg-options model.backbone.stitch=K.
    backbone=dict(_delete_=True, type='SNNetv2', anchors=anchors, mode='v1', out_indices=(0, 1, 2, 3), stitch=None),
    decode_head=dict(in_channels=[96, 192, 384, 768], num_classes=150),
    auxiliary_head=dict(in_channels=384, num_classes=150))
