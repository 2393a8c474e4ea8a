# SN-Netv2 training settings shared by every task config (inherit it after the upstream bases).
custom_imports = dict(imports=['snnet_mm'], allow_failed_imports=False)

# Each iteration trains one sampled stitch: the blocks, heads and stitching layers that stitch does
# not use receive no gradient in that step, so DDP must expect unused parameters (otherwise it
# waits forever for their gradients). StitchSamplingHook makes every rank train the same stitch.
find_unused_parameters = True

# Least-squares init from 50 training images, then FLOPs-grouped sampling (SN-Netv2). The gap is
# 1 GFLOP for ImageNet at 224 and 10 GFLOPs for 512x512 dense tasks; task configs override it.
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=50, gap_gflops=10.0)]

