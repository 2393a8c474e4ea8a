"""StitchDistributedDataParallel: the same training as MMEngine's DDP, moving only the stitch's gradients;
a 2-process torchrun training (mmseg tools/train.py) killed and resumed trains the uninterrupted
sequence. One file: the resume test compares with the equivalence test's 2-process run."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip('mmseg')
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import stitch_ddp_worker as worker  # noqa: E402
from upstream import ROOT, scalars, tool_path  # noqa: E402

from snnet_mm.tiny_data import make_tiny_data  # noqa: E402

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('stitch_ddp')
    make_tiny_data('ade20k', str(root / 'data/tiny/ade20k'))
    return root


@pytest.fixture(scope='module')
def ranks(workspace) -> list[dict]:
    """Both ranks' results: every optimiser setup trained under DDP and under the stitch wrapper."""
    out = workspace / 'out'
    out.mkdir()
    torch.multiprocessing.spawn(worker.main, args=(2, free_port(), str(workspace), str(out)), nprocs=2, join=True)
    return [torch.load(out / f'rank{r}.pt', weights_only=True) for r in range(2)]


def assert_same(a, b, where: str) -> None:
    if isinstance(a, dict):
        assert sorted(a, key=str) == sorted(b, key=str), where
        for key in a:
            assert_same(a[key], b[key], f'{where}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f'{where}[{i}]')
    elif isinstance(a, torch.Tensor):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=lambda m: f'{where}: {m}')
    else:
        assert a == b, (where, a, b)


@pytest.mark.parametrize('variant', list(worker.VARIANTS))
def test_parameters_and_optimizer_states_equal_ddp_with_unused_parameters(ranks, variant):
    for rank in ranks:
        ddp, stitch = rank['results'][variant, 'ddp'], rank['results'][variant, 'stitch']
        assert (ddp['type'], stitch['type']) == ('MMDistributedDataParallel', 'StitchDistributedDataParallel')
        assert ddp['stitches'] == stitch['stitches'] and len(set(stitch['stitches'])) > 2
        assert_same(ddp['params'], stitch['params'], 'params')
        assert_same(ddp['optim'], stitch['optim'], 'optimizer')
    # Parameters no trained stitch used have no optimizer state under either wrapper (no zero gradients).
    state = ranks[0]['results'][variant, 'stitch']['optim']['state']
    trainable = [v for v in ranks[0]['results'][variant, 'stitch']['params'].values()]
    assert 0 < len(state) < len(trainable)
    # Replicas: equal parameters on both ranks (batch-norm statistics are rank-local under both wrappers).
    replica = [{k: v for k, v in r['results'][variant, 'stitch']['params'].items()
                if 'running_' not in k and 'num_batches_tracked' not in k} for r in ranks]
    assert_same(replica[0], replica[1], 'rank 0 vs rank 1')


def test_each_step_reduces_exactly_the_stitch_parameters(ranks):
    result = ranks[0]['results']['sgd', 'stitch']
    for stitch, reduced in zip(result['stitches'], result['reduced']):
        payload = ranks[0]['param_bytes'][stitch]
        assert payload <= reduced <= payload * 1.01, (stitch, reduced, payload)


def test_ranks_on_different_stitches_fail_before_reducing(ranks):
    for rank in ranks:
        assert 'stitch: ranks disagree on the trained stitch' in rank['errors']['disagree']
        assert 'Gradients were not reduced' in rank['errors']['disagree']


def test_gradient_on_a_parameter_off_the_stitch_names_it_and_the_way_back(ranks):
    for rank in ranks:
        message = rank['errors']['outside']
        assert 'parameter backbone.net.anchors.0.model.head.weight received a gradient' in message
        assert "type='MMDistributedDataParallel', find_unused_parameters=True" in message


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
