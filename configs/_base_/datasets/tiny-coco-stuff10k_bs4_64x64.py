# Tiny COCO-Stuff-10k (171 classes) for CPU runs: the tiny ADE20K sizes and pipelines, mmseg's
# COCO-Stuff dataset. Data: python tools/make_tiny_data.py coco_stuff10k data/tiny/coco_stuff10k
_base_ = './tiny-ade20k_bs4_64x64.py'

num_classes = 171
dataset_type = 'COCOStuffDataset'
data_root = 'data/tiny/coco_stuff10k'
dataset = dict(type=dataset_type, data_root=data_root, reduce_zero_label=True)
train_dataloader = dict(dataset=dict(
    **dataset, data_prefix=dict(img_path='images/train2014', seg_map_path='annotations/train2014')))
val_dataloader = dict(dataset=dict(
    **dataset, data_prefix=dict(img_path='images/test2014', seg_map_path='annotations/test2014')))
test_dataloader = val_dataloader
