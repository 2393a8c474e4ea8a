"""The README's commands and its 'Use it in your own OpenMMLab project' snippets work."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / 'README.md').read_text()


def code_blocks(section: str, lang: str) -> list[str]:
    body = README.split(f'## {section}', 1)[1].split('\n## ', 1)[0]
    return re.findall(rf'```{lang}\n(.*?)```', body, flags=re.S)


def commands(block: str) -> list[str]:
    return [ln for ln in block.splitlines() if ln.strip() and not ln.startswith('#')]


def test_readme_has_three_commands_and_ci_runs_setup_and_tests():
    (block,) = code_blocks('Three commands', 'bash')
    setup, main, test = commands(block)
    ci = commands((ROOT / '.ci/run').read_text())
    assert setup in ci and test in ci
    assert ci.index(setup) < ci.index(test)
    assert main.endswith('tools/quickstart.py')  # run in reduced mode by tests/quickstart


def test_config_snippet_builds_and_selects_stitch():
    pytest.importorskip('mmengine')
    from mmengine.config import Config
    from mmengine.registry import MODELS
    (block, _) = code_blocks('Use it in your own OpenMMLab project', 'python')
    cfg = Config.fromstring(block, '.py')
    assert cfg.custom_imports['imports'] == ['snnet_mm']
    cfg.merge_from_dict({'model.backbone.stitch': 17})  # what --cfg-options does
    backbone_cfg = cfg.model.backbone.to_dict()
    backbone_cfg.pop('_delete_')
    for anchor in backbone_cfg['anchors']:
        anchor['checkpoint'] = None  # the snippet's files are the user's
    import snnet_mm  # noqa: F401
    with torch.device('meta'):
        backbone = MODELS.build(backbone_cfg)
    assert backbone.num_stitches == 134 and backbone.current_stitch == 17
    feats = backbone(torch.empty(1, 3, 512, 512, device='meta'))
    assert [tuple(f.shape) for f in feats] == [(1, 1024, 32, 32)] * 4


def test_python_snippet_runs():
    pytest.importorskip('mmengine')
    (_, block) = code_blocks('Use it in your own OpenMMLab project', 'python')
    namespace: dict = {}
    with torch.device('meta'):  # real DeiT3 shapes without allocating their weights
        exec(compile(block, 'README.md', 'exec'), namespace)
    assert [tuple(f.shape) for f in namespace['features']] == [(1, 1024, 32, 32)] * 4
    assert namespace['exported'].route == namespace['backbone'].stitches[namespace['cheapest']].route
    assert namespace['costs'][namespace['cheapest']].flops < namespace['costs'][1].flops
