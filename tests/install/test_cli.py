"""The ``snnet`` command and ``snnet_mm::`` config bases (in-process, fast)."""
from __future__ import annotations

import sys

import pytest

pytest.importorskip('mmengine')
from mmengine.config import Config  # noqa: E402

from snnet_mm import cli  # noqa: E402
from snnet_mm.mim import MIM_DIR  # noqa: E402

USER_CONFIG = """_base_ = ['snnet_mm::segmentation/upernet_snnetv2_tiny_ade20k-64x64.py']
train_dataloader = dict(dataset=dict(data_root='my_data'))
"""


def scopes(node) -> set:
    """Every ``_scope_`` value in a config tree."""
    if isinstance(node, dict):
        return {node.get('_scope_')} | set().union(*(scopes(v) for v in node.values()))
    if isinstance(node, (list, tuple)):
        return set().union(set(), *(scopes(v) for v in node))
    return set()


def test_user_config_inherits_snnet_mm_base_in_the_host_scope(tmp_path):
    path = tmp_path / 'my_config.py'
    path.write_text(USER_CONFIG)
    cfg = Config.fromfile(path)
    assert cfg.model.backbone.type == 'SNNetv2' and cfg.train_dataloader.dataset.data_root == 'my_data'
    assert cfg.default_scope == 'mmseg'
    assert 'snnet_mm' not in scopes(cfg.to_dict())  # built from mmseg/root registries, no warnings


def test_missing_snnet_mm_config_names_it(tmp_path):
    path = tmp_path / 'bad.py'
    path.write_text("_base_ = ['snnet_mm::segmentation/nope.py']\n")
    with pytest.raises(FileNotFoundError, match='snnet_mm::segmentation/nope.py'):
        Config.fromfile(path)


def test_package_ships_configs_and_tools_under_mim():
    assert (MIM_DIR / 'configs' / 'segmentation' / 'upernet_snnetv2_tiny_ade20k-64x64.py').is_file()
    for script, _ in cli.TOOLS.values():
        if script not in ('export_stitch', 'infer'):  # added by the export issue
            assert (MIM_DIR / 'tools' / f'{script}.py').is_file(), script


@pytest.mark.parametrize('command', [*cli.TOOLS, 'train', 'test'])
def test_every_command_has_help(command, monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', list(sys.argv))
    monkeypatch.setattr(sys, 'path', list(sys.path))
    if not (MIM_DIR / 'tools' / f'{cli.TOOLS.get(command, ("",))[0]}.py').is_file() and command in cli.TOOLS:
        with pytest.raises(SystemExit, match='is not part of this installation'):
            cli.main([command, '--help'])
        return
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, '--help'] if command in cli.TOOLS else [command, 'mmseg', '--help'])
    assert exit_info.value.code in (0, None)
    assert f'snnet {command}' in capsys.readouterr().out


def test_bad_package_and_command_are_named():
    with pytest.raises(SystemExit, match="got 'mmfoo'"):
        cli.main(['train', 'mmfoo', 'cfg.py'])
    with pytest.raises(SystemExit, match="unknown command 'fly'"):
        cli.main(['fly'])
