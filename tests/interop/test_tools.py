"""tools/convert_official.py, tools/import_published.py and the sweep's --compare / official ids."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip('mmseg')
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools_loader import load_tool  # noqa: E402
from upstream import CONFIGS, ROOT, metric, run, tool_path  # noqa: E402

from snnet_mm.tiny_data import make_tiny_data  # noqa: E402

from . import official_layout as ol  # noqa: E402

TINY = CONFIGS / 'official' / 'setr-naive_snnetv2-official_tiny_ade20k-64x64.py'


def tiny_official_checkpoint(path: Path, rank: int | None = 4) -> dict:
    """An official-layout checkpoint for the tiny config: MAE anchors 2/4 blocks at 64 px, the
    config's own SETR-UP heads (upstream modules on both sides)."""
    from mmengine.config import Config
    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules
    register_all_modules()
    heads = {k: v for k, v in MODELS.build(Config.fromfile(TINY).model).state_dict().items()
             if k.startswith(('decode_head.', 'auxiliary_head.'))}
    official = {k: v for k, v in ol.seg_state(rank=rank, depths=(2, 4), img=64).items()
                if not k.startswith(('decode_head.', 'auxiliary_head.'))}
    official.update(heads)
    torch.save(dict(meta=dict(iter=160000), state_dict=official), path)
    return official


@pytest.mark.parametrize('merge', [False, True])
def test_convert_official_maps_every_key_and_loads_strictly(tmp_path, capsys, merge):
    official = tiny_official_checkpoint(tmp_path / 'official.pth')
    args = [str(tmp_path / 'official.pth'), str(tmp_path / 'ours.pth'), '--task', 'seg', '--config', str(TINY),
            '--report', str(tmp_path / 'report.txt')] + (['--merge-lora'] if merge else [])
    result = load_tool('convert_official').main(args)
    report = (tmp_path / 'report.txt').read_text()
    for key in official:
        assert key in report, key
    assert result['report'].consumed == set(official)
    saved = torch.load(tmp_path / 'ours.pth', weights_only=True)
    layer = saved['state_dict']['backbone.net.stitch_layers.a0_to_a1_at1.weight']
    assert ('backbone.net.stitch_layers.a0_to_a1_at1.lora_a' in saved['state_dict']) is not merge
    assert saved['meta']['lora_rank'] == (None if merge else 4) and layer.shape == (64, 32)
    assert 'loads strictly into' in capsys.readouterr().out
    assert (tmp_path / 'ours.py').read_text().count('_base_') == 1


def test_convert_official_rejects_a_config_that_does_not_fit(tmp_path):
    tiny_official_checkpoint(tmp_path / 'official.pth')
    wide = CONFIGS / 'official' / 'setr-naive_snnetv2-official_deit3-s-l_ade20k-512x512.py'
    with pytest.raises(ValueError, match='does not fit the model'):
        load_tool('convert_official').main([str(tmp_path / 'official.pth'), str(tmp_path / 'o.pth'),
                                            '--task', 'seg', '--config', str(wide)])


def test_import_published_reads_the_three_formats(tmp_path):
    seg = {str(i): dict(config='x', metric=dict(mIoU=0.4 + i / 100, aAcc=0.8, mAcc=0.5)) for i in (0, 1, 2, 4)}
    (tmp_path / 'seg.json').write_text(json.dumps(seg))
    (tmp_path / 'flops.json').write_text(json.dumps({str(i): 1e9 * (i + 1) for i in (0, 1, 2, 4)}))
    tool = load_tool('import_published')
    table = tool.main([str(tmp_path / 'seg_table.json'), '--depths', '2', '4', '--seg-results',
                       str(tmp_path / 'seg.json'), '--flops', str(tmp_path / 'flops.json')])
    by_id = {r['official_id']: r for r in table['stitches']}
    assert by_id[4]['index'] == 3 and by_id[4]['kind'] == 'LS' and by_id[4]['mIoU'] == 44.0
    assert table['metric'] == 'mIoU' and all('pareto' in r for r in table['stitches'])
    lines = [json.dumps(dict(cfg_id=i, acc1=80.0 + i, acc5=95.0, flops=10 ** 9 * (i + 1))) for i in (0, 1, 4)]
    (tmp_path / 'cls.txt').write_text('\n'.join(lines) + '\n')
    table = tool.main([str(tmp_path / 'cls_table.json'), '--depths', '2', '4', '--cls-results', str(tmp_path / 'cls.txt')])
    assert {r['official_id']: r['accuracy/top1'] for r in table['stitches']} == {0: 80.0, 1: 81.0, 4: 84.0}
    (tmp_path / 'bad.json').write_text(json.dumps({'3': 1e9}))  # the never-trained SL stitch
    with pytest.raises(ValueError, match='official id 3'):
        tool.main([str(tmp_path / 'x.json'), '--depths', '2', '4', '--flops', str(tmp_path / 'bad.json')])


@pytest.mark.parametrize('name, metric_name, anchors', [
    ('published_ade20k_setr-naive_deit3-s-l.json', 'mIoU', (45.57, 51.35)),
    ('published_imagenet_deit3-s-l.json', 'accuracy/top1', (82.906, 86.978)),
])
def test_shipped_published_tables(name, metric_name, anchors):
    table = json.loads((ROOT / 'docs' / name).read_text())
    assert 'ziplab/SN-Netv2@' in table['source'] and table['metric'] == metric_name
    records = table['stitches']
    assert [r['index'] for r in records] == list(range(134))
    assert all(r['official_id'] == (r['index'] if r['index'] <= 12 else r['index'] + 1) for r in records)
    assert records[0][metric_name] == pytest.approx(anchors[0], abs=1e-3)
    assert records[1][metric_name] == pytest.approx(anchors[1], abs=1e-3)


@pytest.mark.slow
def test_converted_checkpoint_runs_in_upstream_test_tools_by_official_id(tmp_path):
    make_tiny_data('ade20k', str(tmp_path / 'data/tiny/ade20k'))
    tiny_official_checkpoint(tmp_path / 'official.pth')
    run([ROOT / 'tools' / 'convert_official.py', 'official.pth', 'ours.pth', '--task', 'seg', '--config', TINY],
        tmp_path)
    out = run([tool_path('mmseg', 'test'), 'ours.py', 'ours.pth', '--work-dir', 'test',
               '--cfg-options', 'model.backbone.stitch=official:4'], tmp_path)
    assert 0 <= metric(out, 'mIoU') <= 100
    run([ROOT / 'tools' / 'test_stitches.py', 'ours.py', 'ours.pth', '--work-dir', 'sweep', '--latency-iters', '0',
         '--stitches', 'official:0,official:4', '--compare', ROOT / 'docs' / 'published_ade20k_setr-naive_deit3-s-l.json'],
        tmp_path)
    records = json.loads((tmp_path / 'sweep' / 'stitches.json').read_text())['stitches']
    assert [(r['index'], r['official_id']) for r in records] == [(0, 0), (3, 4)]
    assert (tmp_path / 'sweep' / 'pareto_compare.png').stat().st_size > 0


def test_backbone_takes_an_official_stitch_id():
    from snnet_mm.models import SNNetv2
    anchors = [dict(name='deit3_small_patch16_relpos', model_kwargs=dict(embed_dim=w, depth=d, num_heads=2, img_size=32))
               for w, d in ((32, 2), (64, 4))]
    assert SNNetv2(anchors, out_indices=(1, 3), stitch='official:4').current_stitch == 3
    with pytest.raises(ValueError, match='stitch: official stitch 3 is not among'):
        SNNetv2(anchors, out_indices=(1, 3), stitch='official:3')


def test_convert_official_classifier(tmp_path):
    pytest.importorskip('mmpretrain')
    official = ol.cls_state(rank=4, num_classes=5, depths=(2, 4))
    torch.save(dict(model=official, epoch=49), tmp_path / 'official.pth')
    tiny = CONFIGS / 'official' / 'snnetv2-official_tiny_imagenet-32px.py'
    result = load_tool('convert_official').main([str(tmp_path / 'official.pth'), str(tmp_path / 'ours.pth'),
                                                 '--task', 'cls', '--config', str(tiny)])
    # Every key but the never-trained SL layer (no dense outputs project through it) is mapped.
    assert result['report'].consumed == set(official)
    assert {k for k, _ in result['report'].dropped} == {'stitch_layers.0.1.transform.' + p
                                                        for p in ('weight', 'bias', 'lora_A', 'lora_B')}


def test_import_published_names_a_missing_or_malformed_file(tmp_path):
    tool = load_tool('import_published')
    (tmp_path / 'cut.json').write_text('{"0": {"metric": ')
    (tmp_path / 'flops.json').write_text(json.dumps({'0': 1e9}))
    (tmp_path / 'cls.txt').write_text('{"cfg_id": 0, "acc1": 80.0}\nnot json\n')
    out = str(tmp_path / 'out.json')
    for args, message in (
            (['--seg-results', str(tmp_path / 'none.json'), '--flops', str(tmp_path / 'flops.json')],
             f"--seg-results: no such file '{tmp_path / 'none.json'}'"),
            (['--seg-results', str(tmp_path / 'cut.json'), '--flops', str(tmp_path / 'flops.json')],
             f"--seg-results: '{tmp_path / 'cut.json'}' is not JSON (Expecting value"),
            (['--flops', str(tmp_path / 'cut.json')], f"--flops: '{tmp_path / 'cut.json'}' is not JSON"),
            (['--cls-results', str(tmp_path / 'cls.txt')], f"--cls-results: {tmp_path / 'cls.txt'}:2: not a JSON line")):
        with pytest.raises(ValueError) as info:
            tool.main([out, '--depths', '2', '4', *args])
        assert str(info.value).startswith(message), str(info.value)
    assert not (tmp_path / 'out.json').exists()
