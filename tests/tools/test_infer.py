"""tools/infer.py on each task's tiny config: the upstream inferencer draws a picture of one stitch."""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import pytest
import torch

pytest.importorskip('mmseg')
pytest.importorskip('mmdet')
pytest.importorskip('mmpretrain')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools_loader import load_tool  # noqa: E402
from upstream import CONFIGS, TINY_TASKS as TASKS  # noqa: E402

from snnet_mm.tiny_data import make_tiny_data  # noqa: E402


@pytest.mark.parametrize('task', sorted(TASKS))
def test_infer_draws_one_stitch_with_only_a_checkpoint(task, tmp_path, capsys):
    config, kind, pattern = TASKS[task]
    config = str(CONFIGS / config)
    make_tiny_data(kind, str(tmp_path / 'data'))
    image = sorted((tmp_path / 'data').glob(pattern))[0]
    export = load_tool('export_stitch')  # builds the task's model the way upstream tools do
    from mmengine.config import Config
    model = export.build_model(Config.fromfile(config))
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'model.pth')
    gone = [f'model.backbone.anchors.{i}.checkpoint={tmp_path / "gone.pth"}' for i in range(2)]
    result = load_tool('infer').main([config, str(tmp_path / 'model.pth'), str(image), '--stitch', 'S[0:1] -> L[2:4]',
                                      '--out', str(tmp_path / 'out.png'), '--cfg-options', *gone])
    picture = cv2.imread(str(tmp_path / 'out.png'))
    source = cv2.imread(str(image))
    assert picture is not None and picture.shape[2] == 3
    height = {'depth': 2 * source.shape[0], 'classification': picture.shape[0]}.get(task, source.shape[0])
    assert picture.shape[:2] == (height, picture.shape[1]) and picture.shape[1] >= source.shape[1]
    if task == 'classification':
        assert len(result['top5']) == 5 and '5. ' in capsys.readouterr().out
    elif task != 'detection':  # an untrained detector may find nothing to draw
        drawn = picture[source.shape[0]:] if task == 'depth' else picture  # depth: colour map below the image
        assert not (drawn == source).all()


@pytest.mark.parametrize('kind, message', [
    ('missing', "image: no such file '{image}'"),
    ('directory', "image: '{image}' is a directory, not an image file"),
    ('empty', "image: '{image}' is empty"),
    ('text', "image: '{image}' is not an image (it cannot be decoded)"),
])
def test_bad_images_are_named_before_the_model_is_built(tmp_path, monkeypatch, kind, message):
    image = tmp_path / 'photo.jpg'
    if kind == 'directory':
        image.mkdir()
    elif kind == 'empty':
        image.write_bytes(b'')
    elif kind == 'text':
        image.write_text('not a picture\n')
    tool = load_tool('infer')
    monkeypatch.setattr(tool, 'configure', lambda args: pytest.fail('the config was read before the image'))
    with pytest.raises(ValueError) as info:
        tool.main([str(CONFIGS / TASKS['segmentation'][0]), str(tmp_path / 'model.pth'), str(image),
                   '--out', str(tmp_path / 'out.png')])
    assert str(info.value) == message.format(image=image)
    assert not (tmp_path / 'out.png').exists()
