"""tools/stitch_flops.py: the FLOPs table CLI."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip('mmengine')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools_loader import load_tool  # noqa: E402
from upstream import CONFIGS  # noqa: E402


def test_anchors_table_matches_published_flops(tmp_path):
    out = tmp_path / 'table.json'
    records = load_tool('stitch_flops').main(['--anchors', 'deit3_small_patch16_224', 'deit3_large_patch16_224',
                                              '--input-size', '224', '--out', str(out)])
    assert len(records) == 134
    assert records[0]['route'] == 'S[0:12]' and records[0]['flops'] == records[0]['backbone_flops'] == 4_608_338_304
    assert records[1]['route'] == 'L[0:24]' and records[1]['flops'] == 61_604_135_936
    saved = json.loads(out.read_text())
    assert saved['stitches'] == records and saved['input_size'] == [224, 224]


def test_config_table_is_the_whole_model_at_the_test_crop(tmp_path):
    pytest.importorskip('mmseg')
    out = tmp_path / 'setr.json'
    records = load_tool('stitch_flops').main(
        [str(CONFIGS / 'segmentation' / 'setr-naive_snnetv2_deit3-s-l_8xb2-160k_ade20k-512x512.py'), '--out', str(out)])
    assert len(records) == 134 and json.loads(out.read_text())['input_size'] == [512, 512]
    large = next(r for r in records if r['route'] == 'L[0:24]')
    assert large['flops'] == 363_157_291_008  # SN-Netv2's published SETR DeiT3-L figure, to the FLOP
    assert all(r['flops'] > r['backbone_flops'] > 0 and r['params'] > 0 for r in records)
    assert min(r['flops'] for r in records) == next(r for r in records if r['route'] == 'S[0:12]')['flops']


@pytest.mark.parametrize('quiet', [False, True])
def test_progress_bar_with_eta_unless_quiet(quiet, capsys):
    pytest.importorskip('mmseg')
    config = str(CONFIGS / 'families' / 'segmentation' / 'upernet_snnet-v1_swin_tiny_ade20k-64x64.py')
    records = load_tool('stitch_flops').main([config] + ['--quiet'] * quiet)
    err = capsys.readouterr().err
    if quiet:
        assert 'ETA' not in err
    else:
        assert 'ETA' in err and f'{len(records)}/{len(records)}' in err  # MMEngine's progress bar


@pytest.mark.parametrize('argv, message', [([], 'give either a config file or --anchors'),
                                           (['--anchors', 'a', '--input-size', '1', '2', '3'], '--input-size')])
def test_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit):
        load_tool('stitch_flops').main(argv)
    assert message in capsys.readouterr().err
