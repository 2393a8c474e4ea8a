"""A 2-process torchrun training (mmseg tools/train.py) killed and resumed trains the uninterrupted sequence."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip('mmseg')
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import stitch_ddp_worker as worker  # noqa: E402
from test_stitch_ddp import free_port, ranks, workspace  # noqa: E402,F401  (shared fixtures)
from upstream import ROOT, scalars, tool_path  # noqa: E402

pytestmark = pytest.mark.slow


def torchrun_train(config: Path, work_dir: str, cwd: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, 'OMP_NUM_THREADS': '1',
           'PYTHONPATH': os.pathsep.join([str(ROOT), str(Path(__file__).resolve().parent)])}
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', str(free_port()),
           str(tool_path('mmseg', 'train')), str(config), '--launcher', 'pytorch', '--work-dir', work_dir, *extra]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_torchrun_training_killed_and_resumed_trains_the_uninterrupted_stitch_sequence(ranks, workspace):
    base = f"_base_ = ['{worker.CONFIG}']\n" + (
        "randomness = dict(seed=0)\n"
        f"train_cfg = dict(max_iters={worker.MAX_ITERS}, val_interval=1000)\n"
        "default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=4))\n")
    (workspace / 'resume.py').write_text(base)
    (workspace / 'killed.py').write_text(
        base + "custom_imports = dict(imports=['snnet_mm', 'kill_hook'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='StitchSamplingHook', num_init_images=8, gap_gflops=0.0005),\n"
        "                dict(type='KillRankZeroAfter', iteration=6)]\n")
    killed = torchrun_train(workspace / 'killed.py', 'run', workspace)
    output = killed.stdout + killed.stderr
    assert killed.returncode != 0 and 'Signal 9 (SIGKILL)' in output, output[-3000:]
    assert 'StitchDistributedDataParallel' in output
    before = [r['stitch'] for r in scalars(workspace / 'run') if 'loss' in r]
    resumed = torchrun_train(workspace / 'resume.py', 'run', workspace, '--resume')
    output = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, output[-3000:]
    assert 'resumed epoch: 0, iter: 4' in output
    after = {r['step']: r['stitch'] for r in scalars(workspace / 'run') if 'loss' in r}
    # The uninterrupted 2-process run of the same config and seed (the equivalence test's).
    uninterrupted = ranks[0]['results']['sgd', 'stitch']['stitches']
    assert before == uninterrupted[:len(before)] and len(before) >= 5
    assert sorted(after) == list(range(5, worker.MAX_ITERS + 1))
    assert [after[i] for i in sorted(after)] == uninterrupted[4:]
