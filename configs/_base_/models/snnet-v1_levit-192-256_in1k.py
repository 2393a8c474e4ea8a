# SN-Net v1's LeViT-192/256 classifier: 6 stitches (stages 0-1, equal depths 4/4: each stage's
# sliding window (j, j + 1)) + 2 anchors, full-rank linear stitching layers on tokens, no drop path;
# the facebookresearch/LeViT ImageNet-1k weights SN-Net v1 started from, fetched by timm. timm's
# distilled LeViTs average their two heads' logits, as the official LeViT does in eval.
_base_ = './snnet-v1_distilled-classifier.py'

anchors = [dict(name=f'levit_{width}', checkpoint='timm:fb_dist_in1k') for width in (192, 256)]
model = dict(tau=1.0, backbone=dict(anchors=anchors, lora_rank=None))
