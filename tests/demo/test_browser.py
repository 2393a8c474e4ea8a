"""The demo page in a real browser: headless Chromium (Debian's) driven by Playwright.

A tiny UperNet is trained for a few iterations and swept on tiny ADE20K-layout data; the demo
serves it on 127.0.0.1 (one server and one browser for the module). The page must draw what
tools/infer.py draws for the stitch it names, change stitch and picture when the slider moves,
answer bad input with a message and keep serving, and fetch nothing from outside the machine.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip('mmseg')
pytest.importorskip('gradio')
pytest.importorskip('playwright')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools_loader import load_tool  # noqa: E402
from upstream import CONFIGS, TINY_TASKS, save_anchor_files  # noqa: E402

from snnet_mm.demo.browser import CHROMIUM_NAMES, headless_page  # noqa: E402
from snnet_mm.demo.view import slider_scale  # noqa: E402
from snnet_mm.tiny_data import make_tiny_data  # noqa: E402

pytestmark = pytest.mark.slow
CONFIG = CONFIGS / TINY_TASKS['segmentation'][0]
ITERS = 4

if not any(shutil.which(name) for name in CHROMIUM_NAMES):
    if os.environ.get('CI'):
        raise RuntimeError('tests/demo/test_browser.py: no chromium; tools/setup_env.sh installs it (apt-get)')
    pytest.skip('no system chromium (apt-get install chromium; tools/setup_env.sh does)', allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Config options, checkpoint and sweep results of the tiny UperNet after a few iterations."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from snnet_mm.evaluation.sweep import StitchSweep, save_results
    root = tmp_path_factory.mktemp('demo')
    make_tiny_data('ade20k', str(root / 'data'))
    # Seeded anchors and runner (the config's randomness): four iterations learn little, and from
    # these seeds the front has two stitches (mIoU 8.61 at S, 9.40 at stitch 2) on every run.
    options = dict(o.split('=', 1) for o in save_anchor_files(CONFIG, root / 'anchors'))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options[f'{loader}.dataset.data_root'] = str(root / 'data')
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(options)
    cfg.work_dir = str(root / 'train')
    cfg.train_cfg.update(max_iters=ITERS, val_interval=10 * ITERS)
    cfg.default_hooks.checkpoint.interval = ITERS
    Runner.from_cfg(cfg).train()
    checkpoint = root / 'train' / f'iter_{ITERS}.pth'
    cfg.work_dir, cfg.load_from = str(root / 'sweep'), str(checkpoint)
    runner = Runner.from_cfg(cfg)
    sweep = StitchSweep(runner, cfg.work_dir, latency_iters=0)
    save_results(sweep.run(list(range(sweep.backbone.num_stitches))), cfg.work_dir)
    shutil.rmtree(root / 'anchors')  # the trained checkpoint alone must suffice
    return dict(root=root, options=options, checkpoint=checkpoint, results=root / 'sweep' / 'stitches.json')


@pytest.fixture(scope='module')
def server(trained):
    from snnet_mm.demo.server import launch
    from snnet_mm.demo.session import StitchDemo
    demo = StitchDemo.from_files(CONFIG, trained['checkpoint'], results=trained['results'],
                                 cfg_options=trained['options'], examples_dir=trained['root'] / 'examples')
    port = free_port()
    page = launch(demo, port=port, block=False, quiet=True)
    yield demo, f'http://127.0.0.1:{port}/'
    page.close()


@pytest.fixture(scope='module')
def browser():
    with headless_page() as b:
        yield b


def open_page(browser, url: str):
    page = browser.page
    page.goto(url)
    page.wait_for_selector('#budget input[type=range]')
    return page


# Gradio marks outputs of a running request with a status tracker (a timer) and a "pending" class.
SETTLED = ('!document.querySelector("#info .pending, #output .pending, #info .progress-text, '
           '#output .progress-text")')


def info_text(page) -> str:
    """The stitch text (the markdown alone, without Gradio's request timer)."""
    return page.inner_text('#info [data-testid=markdown]')


def info_after(page, before: str) -> str:
    """The stitch text once a request has answered (it names this request's latency)."""
    page.wait_for_function('([b]) => { const m = document.querySelector("#info [data-testid=markdown]");'
                           f' return {SETTLED} && m && m.innerText !== b && m.innerText.includes("this request"); }}',
                           arg=[before], timeout=120000)
    return info_text(page)


def shown_picture(page) -> np.ndarray:
    src = page.get_attribute('#output img', 'src')
    data = page.request.get(src).body()
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]


def infer_picture(trained, image: Path, index: int, out: Path) -> np.ndarray:
    options = [f'{k}={v}' for k, v in trained['options'].items()]
    load_tool('infer').main([str(CONFIG), str(trained['checkpoint']), str(image), '--stitch', str(index),
                             '--out', str(out), '--cfg-options', *options])
    return cv2.imread(str(out))[..., ::-1]


def stitch_of(info: str) -> int:
    return int(re.search(r'stitch (\d+)', info)[1])


def test_slider_switches_stitches_and_the_page_draws_what_tools_infer_draws(server, trained, browser, tmp_path):
    demo, url = server
    menu = demo.menu
    assert menu.metric == 'mIoU' and len(menu.stops) >= 2, menu.stops  # the anchors differ after training
    image = demo.examples[0]
    page = open_page(browser, url)
    page.set_input_files('#image-in input[type=file]', str(image))
    seen = [info_after(page, info_text(page))]
    assert stitch_of(seen[0]) == menu.stops[-1]  # the page opens at the most expensive front stitch
    pictures = [shown_picture(page)]
    routes = [page.input_value('#route-box textarea')]
    box = page.locator('#budget input[type=range]').bounding_box()
    targets = [0, len(menu.stops) // 2 if len(menu.stops) >= 3 else len(menu.stops) - 1]  # positions in the stops
    for k in targets:  # the slider's left end, then between a stop and the next (the slider snaps back)
        scale = slider_scale(menu)
        values = [scale.value(menu.cost(i)) for i in menu.stops] + [scale.maximum]
        value = scale.minimum if k == 0 else (values[k] + values[k + 1]) / 2
        fraction = (value - scale.minimum) / (scale.maximum - scale.minimum)
        page.mouse.click(box['x'] + 8 + fraction * (box['width'] - 16), box['y'] + box['height'] / 2)
        seen.append(info_after(page, seen[-1]))
        pictures.append(shown_picture(page))
        routes.append(page.input_value('#route-box textarea'))
    indices = [stitch_of(text) for text in seen]
    assert indices == [menu.stops[-1], menu.stops[0], menu.stops[targets[1]]], (indices, menu.stops)
    for index, text, route, picture in zip(indices, seen, routes, pictures):
        assert route == menu.stitches[index].route and route in text
        assert np.array_equal(picture, infer_picture(trained, image, index, tmp_path / f'{index}.png')), index
    assert not np.array_equal(pictures[0], pictures[1]) and not np.array_equal(pictures[1], pictures[2])
    assert routes[0] != routes[1] != routes[2]
    page.click('#run-front')
    page.wait_for_function('([n]) => document.querySelector("#front-gallery").innerText.split("ms forward").length > n',
                           arg=[len(menu.front)], timeout=60000)
    assert page.locator('#front-gallery').inner_text().count('ms forward') == len(menu.front)
    shot = tmp_path / 'demo.png'
    page.screenshot(path=str(shot), full_page=True)
    assert cv2.imread(str(shot)).shape[1] >= 1000
    assert browser.outside == []  # fonts, analytics, share links: nothing left the machine


def test_bad_input_gets_a_message_in_the_page_and_the_server_keeps_serving(server, trained, browser, tmp_path):
    from PIL import Image

    from snnet_mm.demo.menu import build_menu
    from snnet_mm.demo.server import launch
    from snnet_mm.demo.session import StitchDemo
    demo, url = server
    page = open_page(browser, url)
    (tmp_path / 'notes.png').write_text('not an image')
    Image.new('RGBA', (64, 64)).save(tmp_path / 'alpha.png')
    for upload, message in (('notes.png', 'is not an image file'), ('alpha.png', 'has 4 channels (PIL mode RGBA)')):
        page.set_input_files('#image-in input[type=file]', str(tmp_path / upload))
        page.wait_for_function('([m]) => document.querySelector("#message").innerText.includes(m)', arg=[message])
    page.fill('#route-box textarea', '999')
    page.click('#use-route')
    page.wait_for_function('document.querySelector("#message").innerText.includes("stitch index 999 out of range")')
    page.set_input_files('#image-in input[type=file]', str(demo.examples[0]))
    info_after(page, info_text(page))
    message = page.inner_text('#message')  # the markdown (and Gradio's request timer)
    assert 'image:' not in message and 'route:' not in message and shown_picture(page).shape[2] == 3

    content = json.loads(trained['results'].read_text())
    content['stitches'][2]['route'] = 'S[0:1] -> L[3:4]'  # the results of another model
    (tmp_path / 'other.json').write_text(json.dumps(content))
    backbone = demo.inferencer.backbone
    other = StitchDemo(demo.inferencer, build_menu(tmp_path / 'other.json', backbone.stitches,
                                                   backbone.stitch_costs(backbone.net.input_size)))
    port = free_port()
    served = launch(other, port=port, block=False, quiet=True)
    try:
        page = open_page(browser, f'http://127.0.0.1:{port}/')
        assert 'results of another model' in page.inner_text('#note')
    finally:
        served.close()


def test_a_port_in_use_is_a_one_line_error_before_the_model_loads(trained):
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as exit_info:
            load_tool('demo').main([str(CONFIG), str(trained['root'] / 'no-such.pth'), '--port', str(port)])
    message = str(exit_info.value)
    assert message == f'snnet demo: port: 127.0.0.1:{port} is in use; stop what serves it or choose another --port'
