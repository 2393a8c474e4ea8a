"""Example images for the demo page: the first images of the config's test set, as files."""
from __future__ import annotations

import tempfile
from pathlib import Path

from mmengine.config import Config
from mmengine.logging import MMLogger


def test_set_examples(cfg: Config, directory: str | Path | None = None, *, count: int = 4) -> list[Path]:
    """Files of the first ``count`` images of ``cfg``'s test dataset.

    Datasets on disk give their own image files; datasets that hold images in memory (the
    quickstart's digits) have them written as PNGs into ``directory`` (default: a new temporary
    folder). A test set that cannot be built here (its files are absent) gives no example, with a
    warning: the page still takes uploads.
    """
    import mmcv
    from mmengine.registry import DATASETS, init_default_scope
    logger = MMLogger.get_current_instance()
    dataset_cfg = cfg.get('test_dataloader', {}).get('dataset')
    if dataset_cfg is None:
        return []
    init_default_scope(cfg.get('default_scope'))
    try:
        dataset = DATASETS.build(dict(dataset_cfg, pipeline=[]))
        infos = [dataset.get_data_info(i) for i in range(min(count, len(dataset)))]
    except Exception as error:  # noqa: BLE001 (a dataset fails in its own ways; examples are optional)
        logger.warning(f'demo: no example images, the test set could not be read ({type(error).__name__}: {error})')
        return []
    paths = [Path(info['img_path']) for info in infos if Path(str(info.get('img_path'))).is_file()]
    in_memory = [info['img'] for info in infos if info.get('img') is not None and 'img_path' not in info]
    if in_memory:
        directory = Path(directory or tempfile.mkdtemp(prefix='snnet_demo_examples_'))
        directory.mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(in_memory):
            path = directory / f'example_{i}.png'
            mmcv.imwrite(img, str(path))  # test pipelines read files as mmcv.imread does: BGR
            paths.append(path)
    return paths
