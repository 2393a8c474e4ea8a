"""StitchSamplingHook passes the least-squares cut-off through and names a bad one."""
from __future__ import annotations

import pytest

pytest.importorskip('mmengine')
from snnet_mm.engine import StitchSamplingHook  # noqa: E402


def test_hook_names_a_bad_ls_rcond():
    with pytest.raises(ValueError, match=r"ls_rcond: expected None, 'fp32' or a number in \[0, 1\), got 2"):
        StitchSamplingHook(ls_rcond=2)
    assert StitchSamplingHook(ls_rcond='fp32').ls_rcond == 'fp32'
    assert StitchSamplingHook().ls_rcond is None
