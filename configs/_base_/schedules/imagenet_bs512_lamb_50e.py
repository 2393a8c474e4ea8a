# SN-Netv2's ImageNet-1k schedule as the official code ran it (classification/config/
# deit_stitching_snnetv2_s_l.json + main.py defaults): SN-Net v1's 50-epoch DeiT schedule with LAMB
# lr 3e-5 unscaled ("unscale_lr") for 512 images/iter, weight decay 0.02, warm-up from 1e-7, then
# cosine down to main.py's default min_lr 1e-5 (the json sets none). No decay on 1-D parameters.
_base_ = './imagenet_bs1024_adamw_50e.py'

optim_wrapper = dict(optimizer=dict(_delete_=True, type='Lamb', lr=3e-5, weight_decay=0.02))
param_scheduler = [dict(_base_.param_scheduler[0], start_factor=1e-7 / 3e-5),
                   dict(_base_.param_scheduler[1], eta_min=1e-5)]
auto_scale_lr = dict(base_batch_size=512)
