"""Anchor weight sources (file, URL, timm tag) and the errors for checkpoints that are not one."""
from __future__ import annotations

import functools
import http.server
import pickle
import re
import threading
from pathlib import Path

import pytest
import timm
import torch
from conftest import tiny_anchor

from snnet_mm.stitching import StitchedViT

SMALL = dict(embed_dim=32, depth=2, num_heads=2, img_size=32, num_classes=10)


def saved_small(path: Path, **changes) -> dict[str, torch.Tensor]:
    """A tiny timm ViT's state dict saved at ``path`` (.pth or .safetensors)."""
    torch.manual_seed(123)
    model = timm.create_model('vit_tiny_patch16_224', **{**SMALL, **changes})
    state = {k: v.clone() for k, v in model.state_dict().items()}
    if path.suffix == '.safetensors':
        from safetensors.torch import save_file
        save_file(state, str(path))
    else:
        torch.save(state, path)
    return state


def assert_loaded(net: StitchedViT, state: dict[str, torch.Tensor], anchor: int = 0) -> None:
    loaded = net.anchors[anchor].model.state_dict()
    for key, value in state.items():
        torch.testing.assert_close(loaded[key], value, atol=0, rtol=0, msg=key)


@pytest.fixture(scope='module')
def served(tmp_path_factory):
    """(directory, base URL) of a local HTTP server on 127.0.0.1."""
    root = tmp_path_factory.mktemp('served')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()


@pytest.fixture(autouse=True)
def _hub_cache(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))


def test_construction_does_not_load_when_asked_and_load_anchor_weights_does(tmp_path):
    state = saved_small(tmp_path / 'small.pth')
    anchors = [dict(tiny_anchor(2, 32), checkpoint=str(tmp_path / 'small.pth')), tiny_anchor(4, 64)]
    net = StitchedViT(anchors, load_weights=False)
    assert not torch.equal(net.anchors[0].model.blocks[0].mlp.fc1.weight, state['blocks.0.mlp.fc1.weight'])
    (report,) = net.load_anchor_weights()
    assert_loaded(net, state)
    assert report.field == 'anchors[0].checkpoint' and report.source == str(tmp_path / 'small.pth')
    assert report.missing == () and report.unexpected == ()


def test_missing_file_is_only_an_error_when_loading(tmp_path):
    anchors = [tiny_anchor(2, 32), dict(tiny_anchor(4, 64), checkpoint=str(tmp_path / 'gone.pth'))]
    net = StitchedViT(anchors, load_weights=False)
    with pytest.raises(ValueError, match=r"anchors\[1\]\.checkpoint: no such file '.*gone\.pth'"):
        net.load_anchor_weights()


def test_field_names_follow_the_config_order_not_the_cost_order(tmp_path):
    saved_small(tmp_path / 'small.pth')
    anchors = [dict(tiny_anchor(4, 64), checkpoint=str(tmp_path / 'gone.pth')),
               dict(tiny_anchor(2, 32), checkpoint=str(tmp_path / 'small.pth'))]
    with pytest.raises(ValueError, match=r'anchors\[0\]\.checkpoint: no such file'):
        StitchedViT(anchors)


def test_url_source_is_downloaded_and_loaded(served):
    root, base = served
    state = saved_small(root / 'url_small.pth')
    net = StitchedViT([dict(tiny_anchor(2, 32), checkpoint=f'{base}/url_small.pth'), tiny_anchor(4, 64)])
    assert_loaded(net, state)


def test_unreachable_url_names_the_field(served):
    _, base = served
    with pytest.raises(ValueError, match=r"anchors\[0\]\.checkpoint: 'http://127\.0\.0\.1:\d+/absent\.pth' "
                                         r'is not a readable checkpoint \(HTTPError'):
        StitchedViT([dict(tiny_anchor(2, 32), checkpoint=f'{base}/absent.pth'), tiny_anchor(4, 64)])


@pytest.mark.parametrize('source', ['timm', 'timm:augreg_in21k_ft_in1k',
                                    'timm:vit_tiny_patch16_224.augreg_in21k_ft_in1k'])
def test_timm_tag_loads_through_timm_with_the_file_override(tmp_path, source):
    state = saved_small(tmp_path / 'hub.safetensors')
    overlay = dict(file=str(tmp_path / 'hub.safetensors'))
    net = StitchedViT([dict(tiny_anchor(2, 32, pretrained_cfg_overlay=overlay), checkpoint=source),
                       tiny_anchor(4, 64)], load_weights=False)
    (report,) = net.load_anchor_weights()
    assert_loaded(net, state)
    assert report.source == 'timm vit_tiny_patch16_224.augreg_in21k_ft_in1k'


@pytest.mark.parametrize('source', ['timm:no_such_tag', 'timm:deit3_small_patch16_224.nope'])
def test_unknown_timm_tag_lists_the_known_ones(source):
    with pytest.raises(ValueError, match=r"anchors\[0\]\.checkpoint: unknown timm pretrained tag "
                                         rf"'{source}'; '\w+' has \[.*'\w+_in1k'"):
        StitchedViT([dict(tiny_anchor(2, 32), checkpoint=source), tiny_anchor(4, 64)])


def test_head_of_another_class_count_stays_random_and_is_reported(tmp_path):
    state = saved_small(tmp_path / 'in1k.pth', num_classes=7)
    net = StitchedViT([dict(tiny_anchor(2, 32), checkpoint=str(tmp_path / 'in1k.pth')), tiny_anchor(4, 64)],
                      load_weights=False)
    (report,) = net.load_anchor_weights()
    assert set(report.missing) == {'head.weight', 'head.bias'}
    assert_loaded(net, {k: v for k, v in state.items() if not k.startswith('head.')})


# --------------------------------------------------------------------------- bad checkpoints


def _write_bad(path: Path, kind: str) -> None:
    if kind == 'truncated':
        saved_small(path)
        path.write_bytes(path.read_bytes()[:300])
    elif kind == 'empty':
        path.write_bytes(b'')
    elif kind == 'random bytes':
        path.write_bytes(bytes(torch.randint(0, 256, (4096,), dtype=torch.uint8).tolist()))
    elif kind == 'text file':
        path.write_text('these are not weights\n' * 20)
    elif kind == 'pickled list':
        torch.save([torch.zeros(2), torch.ones(3)], path)
    elif kind == 'python object':
        path.write_bytes(pickle.dumps(functools.partial(print, 'hi'), protocol=2))


@pytest.mark.parametrize('kind, reason', [
    ('truncated', r'RuntimeError: PytorchStreamReader failed reading zip archive'), ('empty', r'the file is empty'),
    ('random bytes', r'not a PyTorch checkpoint: it starts with'), ('text file', r"not a PyTorch checkpoint: it starts with b'thes'"),
    ('pickled list', r'holds a list, not a state dict'),
    ('python object', r'Python objects besides tensors \(functools\.partial\)'),
])
def test_unreadable_checkpoint_names_field_path_and_reason(tmp_path, kind, reason):
    path = tmp_path / 'bad.pth'
    _write_bad(path, kind)
    with pytest.raises(ValueError) as info:
        StitchedViT([tiny_anchor(2, 32), dict(tiny_anchor(4, 64), checkpoint=str(path))])
    message = str(info.value)
    assert message.startswith(f"anchors[1].checkpoint: '{path}' is not a readable checkpoint ("), message
    assert re.search(reason, message), message
    assert 'weights_only' not in message and '\n' not in message


def test_checkpoint_of_another_model_names_first_mismatched_key_and_shapes(tmp_path):
    saved_small(tmp_path / 'wide.pth', embed_dim=48)
    with pytest.raises(ValueError, match=r"anchors\[0\]\.checkpoint: '.*wide\.pth' does not fit the anchor: "
                                         r"'cls_token' has shape \(1, 1, 48\) in the checkpoint and "
                                         r'\(1, 1, 32\) in the model'):
        StitchedViT([dict(tiny_anchor(2, 32), checkpoint=str(tmp_path / 'wide.pth')), tiny_anchor(4, 64)])


def test_checkpoint_of_another_depth_lists_missing_keys(tmp_path):
    saved_small(tmp_path / 'shallow.pth', depth=1)
    with pytest.raises(ValueError, match=r"does not match the anchor: missing keys \['blocks\.1\."):
        StitchedViT([dict(tiny_anchor(2, 32), checkpoint=str(tmp_path / 'shallow.pth')), tiny_anchor(4, 64)])
