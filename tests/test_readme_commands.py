"""Every shell command in README's ```bash blocks runs (on tiny data) and succeeds.

Convention (README authors): a ```bash block runs as one bash script (``set -euo pipefail``) in a
fresh directory holding links to ``configs/``, ``tools/`` and ``docs/``, with this checkout on
PYTHONPATH. HTML comments on the lines just above a block steer it:

    <!-- readme-test: skip: REASON -->       not run (full-size data, network, release files,
                                            or run elsewhere); the reason is required
    <!-- readme-test: sub OLD => NEW -->     textual substitution before running (e.g. a full-size
                                            config by its tiny variant, fewer iterations)

Always substituted: ``.venv/bin/python`` and a leading ``python`` by this interpreter,
``.venv/bin/torchrun`` by ``python -m torch.distributed.run`` on a free port, and a leading
``snnet`` by ``python -m snnet_mm`` (the console script of an installed package).
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(r'^<!--\s*readme-test:\s*(.*?)\s*-->$')
LINKED = ('configs', 'tools', 'docs')


@dataclass(frozen=True)
class Block:
    line: int
    code: str
    skip: str | None
    subs: tuple[tuple[str, str], ...]


def bash_blocks(text: str) -> list[Block]:
    """The ```bash blocks of ``text`` with the markers just above each."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].strip() != '```bash':
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == '```')
        skip, subs, k = None, [], i - 1
        while k >= 0 and (MARKER.match(lines[k].strip()) or not lines[k].strip()):
            match = MARKER.match(lines[k].strip())
            if match:
                directive = match.group(1)
                if directive.startswith('skip'):
                    skip = directive[4:].lstrip(':').strip()
                    assert skip, f'README.md:{k + 1}: a skip marker needs a reason'
                elif directive.startswith('sub '):
                    old, sep, new = directive[4:].partition(' => ')
                    assert sep, f'README.md:{k + 1}: expected "sub OLD => NEW"'
                    subs.append((old, new))
                else:
                    raise AssertionError(f'README.md:{k + 1}: unknown readme-test marker {directive!r}')
            k -= 1
        blocks.append(Block(i + 1, '\n'.join(lines[i + 1:end]) + '\n', skip, tuple(subs)))
        i = end + 1
    return blocks


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def runnable(block: Block) -> str:
    """The block's script with the markers' and the standard substitutions applied."""
    code = block.code
    for old, new in block.subs:
        assert old in code, f'README.md:{block.line}: substitution target {old!r} not in the block'
        code = code.replace(old, new)
    python = sys.executable
    venv = r'(?<![\w/])\.venv/bin/'  # a relative .venv path, not one inside an absolute path
    code = re.sub(venv + 'torchrun', lambda m: f'{python} -m torch.distributed.run --master_port {free_port()}', code)
    code = re.sub(venv + 'python', lambda m: python, code)
    code = re.sub(r'(^|[;&|(]\s*|\$\()python3?(?= )', lambda m: m.group(1) + python, code, flags=re.M)
    return re.sub(r'(^|[;&|]\s*)snnet(?= )', lambda m: f'{m.group(1)}{python} -m snnet_mm', code, flags=re.M)


BLOCKS = bash_blocks((ROOT / 'README.md').read_text())


def test_markers_parse_and_some_blocks_run():
    assert BLOCKS and any(b.skip is None for b in BLOCKS)
    assert all(b.skip for b in BLOCKS if b.skip is not None)


def test_substitutions_cover_the_interpreters():
    block = Block(1, 'snnet train mmseg c.py\npython tools/x.py\n.venv/bin/torchrun --nproc_per_node 2 t.py\n',
                  None, (('c.py', 'tiny.py'),))
    script = runnable(block)
    assert f'{sys.executable} -m snnet_mm train mmseg tiny.py' in script
    assert '.venv/bin/torchrun' not in script and script.count(sys.executable) == 3
    assert f'{sys.executable} tools/x.py' in script and 'torch.distributed.run --master_port' in script


@pytest.mark.slow
@pytest.mark.parametrize('block', [b for b in BLOCKS if b.skip is None], ids=lambda b: f'README.md:{b.line}')
def test_readme_block_runs(block, tmp_path):
    for name in LINKED:
        if (ROOT / name).exists():
            (tmp_path / name).symlink_to(ROOT / name)
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1'}
    result = subprocess.run(['bash', '-euo', 'pipefail', '-c', runnable(block)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, f'README.md:{block.line} failed:\n{(result.stdout + result.stderr)[-6000:]}'
