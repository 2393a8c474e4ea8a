"""The demo's engine, without any web framework: one loaded model, stitch choice, checked inputs.

A ``StitchDemo`` holds the model built once by ``StitchInferencer`` and switches stitches with
the backbone's ``set_stitch``: nothing is rebuilt or reloaded. Requests from several pages share
the model, so a prediction sets its stitch and runs under one lock.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from mmengine.config import Config
from mmengine.logging import MMLogger

from ..stitching.selection import resolve_stitch
from .inference import Prediction, StitchInferencer
from .menu import StitchInfo, StitchMenu, build_menu

# PIL modes the upstream pipelines read as the colour image the user sees (greyscale and palette
# images become three equal or palette channels, as mmcv.imread makes them). Others (alpha, CMYK,
# 16-bit or float) would be changed silently by the reader: refused.
READABLE_MODES = {'RGB': 3, 'L': 1, 'P': 1}
MODE_CHANNELS = {'1': 1, 'L': 1, 'P': 1, 'LA': 2, 'La': 2, 'PA': 2, 'RGB': 3, 'YCbCr': 3, 'LAB': 3, 'HSV': 3,
                 'RGBA': 4, 'RGBa': 4, 'RGBX': 4, 'CMYK': 4, 'I': 1, 'F': 1, 'I;16': 1}


def check_image(image: Any, field_name: str = 'image') -> Path:
    """The path of a readable colour or greyscale image file, else a ValueError saying what is wrong."""
    if image is None or image == '':
        raise ValueError(f'{field_name}: no image yet: upload one or pick an example')
    path = Path(image)
    if not path.is_file():
        raise ValueError(f'{field_name}: no such file {str(path)!r}')
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as img:
            mode = img.mode
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f'{field_name}: {path.name!r} is not an image file ({error})') from None
    if mode not in READABLE_MODES:
        channels = MODE_CHANNELS.get(mode, '?')
        raise ValueError(f'{field_name}: {path.name!r} has {channels} channels (PIL mode {mode}); the model reads '
                         'RGB (3-channel) or greyscale images: save it as RGB without alpha and upload it again')
    return path


@dataclass(frozen=True)
class Shot:
    """One stitch's prediction for the page: the stitch, its prediction, and the request's time."""

    stitch: StitchInfo
    prediction: Prediction
    request_ms: float


class StitchDemo:
    """A trained stitched model, loaded once, behind the demo page.

    Args:
        inferencer: The model behind its upstream inferencer.
        menu: The stitches and the budget slider's stops.
        examples: Example image files for the page.
        title: What the page calls the model (e.g. the config's name).
    """

    def __init__(self, inferencer: StitchInferencer, menu: StitchMenu, *, examples: Sequence[Path] = (),
                 title: str = '') -> None:
        self.inferencer = inferencer
        self.menu = menu
        self.examples = tuple(examples)
        self.title = title
        self._lock = threading.Lock()

    @classmethod
    def from_files(cls, config: str | Path, checkpoint: str | Path, *, results: str | Path | None = None,
                   device: str = 'cpu', cfg_options: dict | None = None,
                   examples: Sequence[str | Path] | None = None, examples_dir: str | Path | None = None,
                   num_examples: int = 4) -> 'StitchDemo':
        """Build the model from ``config`` and ``checkpoint`` once; stops from ``results``.

        Args:
            config: Model config file.
            checkpoint: Trained checkpoint.
            results: A sweep's ``stitches.json`` / ``sweep_results.jsonl`` (None: every stitch).
            device: Torch device.
            cfg_options: Config overrides.
            examples: Example image files (None: the first images of the config's test set).
            examples_dir: Where test-set images held in memory are written as files.
            num_examples: How many test-set images become examples.
        """
        for name, path in (('config', config), ('checkpoint', checkpoint)):
            if not Path(path).is_file():
                raise ValueError(f'{name}: no such file {str(path)!r}')
        if results is not None and not Path(results).is_file():
            raise ValueError(f'results: no such file {str(results)!r}')
        cfg = Config.fromfile(str(config))
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        inferencer = StitchInferencer(cfg, checkpoint, device=device)
        backbone = inferencer.backbone
        menu = build_menu(results, backbone.stitches, backbone.stitch_costs(backbone.net.input_size))
        if menu.note:
            MMLogger.get_current_instance().warning(menu.note)
        if examples is None:
            from .examples import test_set_examples
            examples = test_set_examples(cfg, examples_dir, count=num_examples)
        return cls(inferencer, menu, examples=[Path(e) for e in examples], title=Path(config).stem)

    @property
    def task(self) -> str:
        return self.inferencer.task

    @property
    def current(self) -> int:
        """The stitch the model runs now."""
        return self.inferencer.backbone.current_stitch

    def resolve(self, value: Any) -> int:
        """The stitch an index or a route names (the route box), else a ValueError naming it."""
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise ValueError('route: empty: type a route as shown (e.g. the one above) or a stitch index')
            if value.lstrip('+-').isdigit():
                value = int(value)
        return resolve_stitch(value, self.inferencer.backbone.stitches, field_name='route')

    def switch(self, index: int) -> None:
        """Run stitch ``index`` from now on (the backbone's ``set_stitch``: no rebuild, no reload)."""
        with self._lock:
            self.inferencer.backbone.set_stitch(index)

    def run(self, image: Any, index: int) -> Shot:
        """Stitch ``index`` on ``image`` (a file path), checked first."""
        start = time.perf_counter()
        path = check_image(image)
        with self._lock:
            self.inferencer.backbone.set_stitch(index)
            prediction = self.inferencer.predict(path)
        return Shot(self.menu.stitches[index], prediction, (time.perf_counter() - start) * 1e3)

    def run_front(self, image: Any) -> list[Shot]:
        """Every stop of the slider on ``image``, cheapest first."""
        check_image(image)
        return [self.run(image, index) for index in self.menu.front]
