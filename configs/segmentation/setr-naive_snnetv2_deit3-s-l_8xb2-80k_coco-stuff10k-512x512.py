# The SETR-naive SN-Netv2 recipe on COCO-Stuff-10k: same model, 171 classes, 80k iterations.
_base_ = ['./setr-naive_snnetv2_deit3-s-l_8xb2-160k_ade20k-512x512.py']

num_classes = 171
# Lists replace (not merge) in configs: the three auxiliary heads are given in full.
auxiliary_head = dict(
    type='SETRUPHead', in_channels=1024, channels=256, num_classes=num_classes, dropout_ratio=0,
    norm_cfg=dict(type='SyncBN', requires_grad=True), act_cfg=dict(type='ReLU'), num_convs=2,
    kernel_size=1, align_corners=False,
    loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4))
model = dict(
    decode_head=dict(num_classes=num_classes),
    auxiliary_head=[dict(auxiliary_head, in_index=i) for i in range(3)])

dataset = dict(type='COCOStuffDataset', data_root='data/coco_stuff10k', reduce_zero_label=True)
train_dataloader = dict(dataset=dict(
    **dataset, data_prefix=dict(img_path='images/train2014', seg_map_path='annotations/train2014')))
val_dataloader = dict(dataset=dict(
    **dataset, data_prefix=dict(img_path='images/test2014', seg_map_path='annotations/test2014')))
test_dataloader = val_dataloader

param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=80000, by_epoch=False)]
train_cfg = dict(max_iters=80000, val_interval=8000)
default_hooks = dict(checkpoint=dict(interval=8000))
