# Tiny CPU variant of the COCO-Stuff-10k SETR-naive config.
# Data: python tools/make_tiny_data.py coco_stuff10k data/tiny/coco_stuff10k
_base_ = ['./setr-naive_snnetv2_tiny_ade20k-64x64.py']

num_classes = 171
data_root = 'data/tiny/coco_stuff10k'
model = dict(
    decode_head=dict(num_classes=num_classes),
    auxiliary_head=[
        dict(type='SETRUPHead', in_channels=64, channels=16, num_classes=num_classes, dropout_ratio=0,
             norm_cfg=dict(type='BN', requires_grad=True), act_cfg=dict(type='ReLU'), kernel_size=1,
             align_corners=False, in_index=i, num_convs=2,
             loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4))
        for i in range(3)
    ])

dataset = dict(type='COCOStuffDataset', data_root=data_root, reduce_zero_label=True)
train_dataloader = dict(dataset=dict(
    **dataset, data_prefix=dict(img_path='images/train2014', seg_map_path='annotations/train2014')))
val_dataloader = dict(dataset=dict(
    **dataset, data_prefix=dict(img_path='images/test2014', seg_map_path='annotations/test2014')))
test_dataloader = val_dataloader
