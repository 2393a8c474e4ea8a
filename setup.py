"""Build hook: ships ``configs/`` and ``tools/`` inside the package as ``snnet_mm/.mim/``.

OpenMMLab packages carry their configs and tools under ``<package>/.mim/`` so that MMEngine
resolves ``snnet_mm::path`` configs and installed tools run without a clone. In the repository
``snnet_mm/.mim/{configs,tools}`` are symlinks to the top-level folders (the single source of
truth); a wheel gets real copies, made here at build time. Everything else is in pyproject.toml.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

MIM = Path(__file__).resolve().parent / 'snnet_mm' / '.mim'


class BuildWithMim(build_py):
    """``build_py`` that also copies ``snnet_mm/.mim`` with its symlinks resolved."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / 'snnet_mm' / '.mim'
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(MIM, target, symlinks=False, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


setup(cmdclass={'build_py': BuildWithMim})
