"""StitchDistributedDataParallel: the same training as MMEngine's DDP, moving only the stitch's gradients."""
from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip('mmseg')
sys.path.insert(0, str(Path(__file__).resolve().parent))
import stitch_ddp_worker as worker  # noqa: E402

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
