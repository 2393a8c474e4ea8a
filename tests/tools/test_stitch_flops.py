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
    assert records[0]['route'] == 'S[0:12]' and records[0]['flops'] == 4_608_338_304
    assert records[1]['route'] == 'L[0:24]' and records[1]['flops'] == 61_604_135_936
    saved = json.loads(out.read_text())
    assert saved['stitches'] == records and saved['input_size'] == [224, 224]


def test_config_table_counts_dense_outputs():
    pytest.importorskip('mmseg')
    records = load_tool('stitch_flops').main(
        [str(CONFIGS / 'segmentation' / 'setr-naive_snnetv2_deit3-s-l_8xb2-160k_ade20k-512x512.py'),
         '--input-size', '512'])
    assert len(records) == 134
    gflops = sorted(r['flops'] / 1e9 for r in records)
    assert 33 < gflops[0] < 34 and 362 < gflops[-1] < 363  # SN-Netv2 backbone at 512 (paper: 33.5-363.2 with head)


@pytest.mark.parametrize('argv, message', [([], 'give either a config file or --anchors'),
                                           (['--anchors', 'a', '--input-size', '1', '2', '3'], '--input-size')])
def test_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit):
        load_tool('stitch_flops').main(argv)
    assert message in capsys.readouterr().err
