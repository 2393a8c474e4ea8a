# SN-Netv2 training settings shared by every task config (inherit it after the upstream bases).
custom_imports = dict(imports=['snnet_mm'], allow_failed_imports=False)

# Each iteration trains one sampled stitch, the same on every rank (StitchSamplingHook): the blocks,
# heads and stitching layers that stitch does not use receive no gradient in that step. Under
# torchrun, StitchDistributedDataParallel all-reduces only the gradients of the stitch's parameters
# and of everything outside the backbone, with the same result as MMEngine's DDP with
# find_unused_parameters=True (which walks the graph and reduces the whole network, zeros included).
# For a model that uses backbone parameters outside the stitch's graph switch back to DDP with
# `model_wrapper_cfg = None` (find_unused_parameters below then applies; README: "Data-parallel training").
model_wrapper_cfg = dict(type='StitchDistributedDataParallel')
find_unused_parameters = True

# Least-squares init from 50 training images, then FLOPs-grouped sampling (SN-Netv2). The gap is
# 1 GFLOP for ImageNet at 224 and 10 GFLOPs for 512x512 dense tasks; task configs override it.
custom_hooks = [dict(type='StitchSamplingHook', num_init_images=50, gap_gflops=10.0)]

