"""SN-Net v1 through the tools: the shipped published tables, tools/convert_official.py --from v1-*,
and a converted LeViT swept by v1 ids next to the published v1 front (--compare)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip('mmpretrain')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools_loader import load_tool  # noqa: E402
from upstream import CONFIGS, ROOT, run  # noqa: E402

from snnet_mm.interop.v1_ids import V1_RELEASES  # noqa: E402
from snnet_mm.tiny_data import make_tiny_data  # noqa: E402

from . import v1_layout as vl  # noqa: E402

TINY_LEVIT = CONFIGS / 'families' / 'classification' / 'snnet-v1_levit_tiny_imagenet-32px.py'
# Anchors' top-1 in the published files (cfg_id 0 and the last anchor).
ANCHOR_TOP1 = {'deit-ti-s-b': (70.564, 81.934), 'swin-t-s-b': (79.464, 84.21), 'r18-r50': (68.322, 77.016),
               'r18-swin-t': (68.674, 81.25), 'levit-192-256': (79.638, 81.222)}


@pytest.mark.parametrize('name', sorted(V1_RELEASES))
def test_shipped_v1_tables_are_the_import_of_the_shipped_results(name, tmp_path):
    raw = ROOT / 'docs' / 'published_v1' / f'{name}.txt'
    shipped = json.loads((ROOT / 'docs' / f'published_v1_{name}.json').read_text())
    table = load_tool('import_published').main([str(tmp_path / 't.json'), '--v1', name, '--cls-results', str(raw),
                                                '--source', shipped['source']])
    assert table == shipped and 'ziplab/SN-Net@c2dcf30' in shipped['source']
    records = shipped['stitches']
    assert sorted(r['v1_id'] for r in records) == list(range(len(raw.read_text().splitlines())))
    assert sorted(r['index'] for r in records) == list(range(len(records)))
    anchors = len(V1_RELEASES[name].anchors)
    top1 = {r['v1_id']: r['accuracy/top1'] for r in records}
    assert (top1[0], top1[anchors - 1]) == pytest.approx(ANCHOR_TOP1[name], abs=1e-3)


def test_import_v1_refuses_ids_outside_the_space(tmp_path):
    (tmp_path / 'r.txt').write_text(json.dumps(dict(cfg_id=8, acc1=1.0, flops=1)) + '\n')
    with pytest.raises(ValueError, match=r'cfg_id 8: out of range \[0, 8\)'):
        load_tool('import_published').main([str(tmp_path / 'x.json'), '--v1', 'levit-192-256', '--cls-results',
                                            str(tmp_path / 'r.txt')])


def tiny_levit_checkpoint(path: Path) -> dict:
    """An official stitching_levit checkpoint for the tiny LeViT config (5 classes)."""
    from mmengine.config import Config
    anchors = Config.fromfile(TINY_LEVIT).model.backbone.anchors
    vl.CASES['tiny-config'] = ([dict(name=a.name, model_kwargs=dict(a.model_kwargs)) for a in anchors], (0, 1))
    try:
        official, _ = vl.official_state('tiny-config')
    finally:
        del vl.CASES['tiny-config']
    torch.save(dict(model=official, epoch=99), path)
    return official


def test_convert_official_from_v1_levit_loads_strictly_into_the_config(tmp_path):
    official = tiny_levit_checkpoint(tmp_path / 'official.pth')
    result = load_tool('convert_official').main([str(tmp_path / 'official.pth'), str(tmp_path / 'ours.pth'),
                                                 '--from', 'v1-levit', '--config', str(TINY_LEVIT),
                                                 '--report', str(tmp_path / 'keys.txt')])
    assert result['report'].consumed == set(official)
    assert result['info'].depths == ((3, 3, 1), (3, 3, 1))
    lines = (tmp_path / 'keys.txt').read_text().splitlines()
    assert sum(line.startswith('checked  ') for line in lines) == sum(k.endswith('attention_bias_idxs') for k in official)
    with pytest.raises(SystemExit):
        load_tool('convert_official').main([str(tmp_path / 'official.pth'), str(tmp_path / 'o.pth'),
                                            '--from', 'v1-levit', '--merge-lora'])


@pytest.mark.slow
def test_converted_v1_levit_sweeps_by_v1_id_next_to_the_published_front(tmp_path):
    make_tiny_data('imagenet', str(tmp_path / 'data/tiny/imagenet'))
    tiny_levit_checkpoint(tmp_path / 'official.pth')
    run([ROOT / 'tools' / 'convert_official.py', 'official.pth', 'ours.pth', '--from', 'v1-levit', '--config',
         TINY_LEVIT], tmp_path)
    run([ROOT / 'tools' / 'test_stitches.py', 'ours.py', 'ours.pth', '--work-dir', 'sweep', '--latency-iters', '0',
         '--quiet', '--stitches', 'v1:0,v1:4', '--compare', ROOT / 'docs' / 'published_v1_levit-192-256.json'], tmp_path)
    records = json.loads((tmp_path / 'sweep' / 'stitches.json').read_text())['stitches']
    assert [(r['index'], r['v1_id']) for r in records] == [(0, 0), (4, 4)]
    assert (tmp_path / 'sweep' / 'pareto_compare.png').stat().st_size > 0
