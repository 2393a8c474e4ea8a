"""``snnet_mm::path`` configs and the package's shipped tools (``snnet_mm/.mim/``).

MMEngine resolves ``pkg::path`` bases only for packages in its ``MODULE2PACKAGE`` map and finds
them through the installed distribution's location, which for editable installs and clones on
``PYTHONPATH`` is not where the code is. Registering maps ``snnet_mm`` to this package's own
folder, so the lookup is right however the package was installed.

MMEngine also tags every ``type=`` dict of a ``pkg::`` base with ``_scope_=pkg`` so that it is
built from that package's registries. snnet_mm has no registries of its own: its modules live
in MMEngine's root registries and its configs are plugins of the host task (mmseg, mmdet,
mmpretrain), so ``snnet_mm::`` bases keep the run's default scope, exactly as if the file had
been inherited by a relative path.
"""
from __future__ import annotations

import functools
from pathlib import Path

PACKAGE = 'snnet_mm'
PACKAGE_DIR = Path(__file__).resolve().parent
MIM_DIR = PACKAGE_DIR / '.mim'


def tool_path(name: str) -> Path:
    """``snnet_mm/.mim/tools/<name>.py``; ``FileNotFoundError`` naming it when it is not shipped."""
    path = MIM_DIR / 'tools' / f'{name}.py'
    if not path.is_file():
        raise FileNotFoundError(f'tool {name!r}: {path} is not part of this installation')
    return path


def _with_own_path(original):
    @functools.wraps(original)
    def get_installed_path(package: str) -> str:
        if package == PACKAGE:
            return str(PACKAGE_DIR)
        return original(package)
    get_installed_path._snnet_mm = True
    return get_installed_path


def config_path(relative: str) -> Path:
    """``snnet_mm/.mim/configs/<relative>``; ``FileNotFoundError`` naming it when missing."""
    path = MIM_DIR / 'configs' / relative
    if not path.is_file():
        raise FileNotFoundError(f'{PACKAGE}::{relative}: no such config ({path})')
    return path


def _resolving_own_configs(original):
    @functools.wraps(original)
    def get_cfg_path(cfg_path: str, filename: str):
        package, sep, relative = cfg_path.partition('::')
        if sep and package == PACKAGE:
            return str(config_path(relative)), None  # no _scope_: the host task's scope
        return original(cfg_path, filename)
    get_cfg_path._snnet_mm = True
    return staticmethod(get_cfg_path)


def register_config_package() -> None:
    """Let ``_base_ = ['snnet_mm::segmentation/...']`` resolve (idempotent)."""
    import mmengine.config.config as config_module
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE[PACKAGE] = PACKAGE
    if not getattr(config_module.get_installed_path, '_snnet_mm', False):
        config_module.get_installed_path = _with_own_path(config_module.get_installed_path)
    config = config_module.Config
    if not getattr(config._get_cfg_path, '_snnet_mm', False):
        config._get_cfg_path = _resolving_own_configs(config.__dict__['_get_cfg_path'].__func__)
