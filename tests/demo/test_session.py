"""The demo's engine on each task's tiny config: one model loaded once, stitches switched in place,
pictures equal to tools/infer.py's, bad input refused with a message before any work."""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

pytest.importorskip('mmseg')
pytest.importorskip('mmdet')
pytest.importorskip('mmpretrain')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools_loader import load_tool  # noqa: E402
from upstream import CONFIGS, TINY_TASKS  # noqa: E402

from snnet_mm.demo.session import StitchDemo, check_image  # noqa: E402
from snnet_mm.tiny_data import make_tiny_data  # noqa: E402


def random_init_checkpoint(config: Path, directory: Path) -> tuple[Path, list[str]]:
    """The config's model saved as a checkpoint, and the options naming its (absent) anchor files."""
    from mmengine.config import Config
    model = load_tool('export_stitch').build_model(Config.fromfile(config))
    torch.save(dict(state_dict=model.state_dict()), directory / 'model.pth')
    return directory / 'model.pth', [f'model.backbone.anchors.{i}.checkpoint={directory / "gone.pth"}' for i in range(2)]


def options_dict(options: list[str]) -> dict:
    return dict(option.split('=', 1) for option in options)


@pytest.mark.parametrize('task', sorted(TINY_TASKS))
def test_switching_runs_each_stitch_on_the_same_loaded_model_as_tools_infer_draws_it(task, tmp_path):
    config, kind, pattern = TINY_TASKS[task]
    config = CONFIGS / config
    make_tiny_data(kind, str(tmp_path / 'data'))
    image = sorted((tmp_path / 'data').glob(pattern))[0]
    checkpoint, gone = random_init_checkpoint(config, tmp_path)
    demo = StitchDemo.from_files(config, checkpoint, cfg_options=options_dict(gone), examples=[image])
    assert demo.task == task and demo.menu.metric is None and len(demo.menu.stops) == demo.inferencer.backbone.num_stitches
    model = demo.inferencer.model
    storage = {name: p.data_ptr() for name, p in model.named_parameters()}
    weights = {name: p.detach().clone() for name, p in model.named_parameters()}
    chosen = [demo.menu.stops[0], demo.resolve('S[0:1] -> L[2:4]')]
    shots = [demo.run(str(image), index) for index in chosen]
    assert demo.current == chosen[1]
    assert demo.inferencer.model is model  # no rebuild ...
    assert {name: p.data_ptr() for name, p in model.named_parameters()} == storage  # ... and no reload
    assert all(torch.equal(p, weights[name]) for name, p in model.named_parameters())
    out = tmp_path / 'infer.png'  # the model built with that stitch draws the same picture
    load_tool('infer').main([str(config), str(checkpoint), str(image), '--stitch', str(chosen[1]), '--out', str(out),
                             '--cfg-options', *gone])
    assert np.array_equal(shots[1].prediction.picture, cv2.imread(str(out))[..., ::-1]), task
    for index, shot in zip(chosen, shots):
        assert shot.stitch.index == index and shot.prediction.forward_ms > 0
        assert shot.request_ms >= shot.prediction.total_ms >= shot.prediction.forward_ms + shot.prediction.draw_ms
    if task == 'classification':
        assert len(shots[0].prediction.top5) == 5
    if task in ('segmentation', 'depth'):  # dense outputs of different stitches differ (detection may draw nothing)
        assert not np.array_equal(shots[0].prediction.picture, shots[1].prediction.picture)
    with pytest.raises(ValueError, match=r'route: stitch index 99 out of range'):
        demo.resolve('99')
    with pytest.raises(ValueError, match=r"route: route 'S\[0:9\] -> L\[1:2\]' is not in the trained stitch space"):
        demo.resolve('S[0:9] -> L[1:2]')


def test_bad_images_are_refused_by_what_is_wrong(tmp_path):
    from PIL import Image
    (tmp_path / 'notes.png').write_text('not an image')
    Image.new('RGBA', (8, 8)).save(tmp_path / 'alpha.png')
    Image.new('LA', (8, 8)).save(tmp_path / 'grey_alpha.png')
    Image.new('L', (8, 8)).save(tmp_path / 'grey.png')
    Image.new('RGB', (8, 8)).save(tmp_path / 'rgb.jpg')
    with pytest.raises(ValueError, match=r"image: 'notes.png' is not an image file"):
        check_image(tmp_path / 'notes.png')
    with pytest.raises(ValueError, match=r"image: 'alpha.png' has 4 channels \(PIL mode RGBA\)"):
        check_image(tmp_path / 'alpha.png')
    with pytest.raises(ValueError, match=r"image: 'grey_alpha.png' has 2 channels"):
        check_image(tmp_path / 'grey_alpha.png')
    with pytest.raises(ValueError, match='image: no image yet'):
        check_image(None)
    assert check_image(tmp_path / 'grey.png') == tmp_path / 'grey.png'  # read as colour, as upstream does
    assert check_image(str(tmp_path / 'rgb.jpg')) == tmp_path / 'rgb.jpg'


def test_digits_test_set_becomes_example_files(tmp_path):
    pytest.importorskip('sklearn')
    from mmengine.config import Config

    from snnet_mm.demo.examples import test_set_examples
    cfg = Config.fromfile(CONFIGS / 'quickstart' / 'digits_snnetv2.py')  # its custom_imports register DigitsDataset
    paths = test_set_examples(cfg, tmp_path, count=3)
    assert [p.parent for p in paths] == [tmp_path] * 3
    assert all(cv2.imread(str(p)).shape == (32, 32, 3) for p in paths)
    missing = Config.fromfile(CONFIGS / TINY_TASKS['segmentation'][0])  # its data_root is absent here
    missing.test_dataloader.dataset.data_root = str(tmp_path / 'absent')
    assert test_set_examples(missing, tmp_path) == []
