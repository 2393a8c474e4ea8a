# SN-Net v1's stitched Swin-Ti/S/B classifier: 38 stitches Ti->S and S->B inside stages 0-2 + 3
# anchors, drop path 0.2 (the teacher sees the Mixup / CutMix images).
_base_ = './snnet-v1_distilled-classifier.py'

anchors = [dict(name=f'swin_{size}_patch4_window7_224', checkpoint=f'timm:swin_{size}_patch4_window7_224.ms_in1k',
                drop_path_rate=0.2) for size in ('tiny', 'small', 'base')]
model = dict(backbone=dict(anchors=anchors))
