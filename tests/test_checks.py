"""The package's one set of argument checks (snnet_mm/utils/checks.py) and the places that were
looser before it: a bool is not a count, a float is not an int, NaN passes no bound."""
from __future__ import annotations

import math

import pytest

from snnet_mm.utils.checks import check_int, check_ints, check_number, check_one_of


@pytest.mark.parametrize('value, kwargs, message', [
    (True, dict(minimum=1), 'n: expected an int >= 1, got True'),
    (2.0, dict(minimum=1), 'n: expected an int >= 1, got 2.0'),
    (0, dict(minimum=1), 'n: expected an int >= 1, got 0'),
    ('3', {}, "n: expected an int, got '3'"),
    (1001, dict(minimum=2, maximum=1000), r'n: expected an int in \[2, 1000\], got 1001'),
])
def test_int_refused(value, kwargs, message):
    with pytest.raises(ValueError, match=f'^{message}$'):
        check_int(value, 'n', **kwargs)


def test_int_accepted():
    assert check_int(0, 'n', minimum=0) == 0 and check_int(1000, 'n', minimum=2, maximum=1000) == 1000


@pytest.mark.parametrize('value, kwargs, message', [
    (math.nan, dict(low=0, low_open=True, finite=True), 'x: expected a finite number > 0, got nan'),
    (math.inf, dict(low=0, finite=True), 'x: expected a finite number >= 0, got inf'),
    (math.nan, dict(low=0, high=1), r'x: expected a number in \[0, 1\], got nan'),
    (0, dict(low=0, high=1, low_open=True), r'x: expected a number in \(0, 1\], got 0'),
    (False, dict(low=0), 'x: expected a number >= 0, got False'),
    ('1', {}, "x: expected a number, got '1'"),
    (0, dict(low=0, low_open=True, allow_none=True), 'x: expected a number > 0 or None, got 0'),
    (1e-3, dict(low=1e-3, low_open=True, low_name='min_depth'), r'x: expected a number > min_depth \(0.001\), got 0.001'),
])
def test_number_refused(value, kwargs, message):
    with pytest.raises(ValueError, match=f'^{message}$'):
        check_number(value, 'x', **kwargs)


def test_number_accepted():
    assert check_number(1, 'x', low=0, high=1) == 1.0 and isinstance(check_number(1, 'x'), float)
    assert check_number(None, 'x', low=0, allow_none=True) is None
    assert check_number(math.inf, 'x', low=0) == math.inf  # infinite only refused when finite=True


def test_one_of_and_ints():
    assert check_one_of('a', 'k', ('a', 'b')) == 'a'
    with pytest.raises(ValueError, match=r"^k: expected one of \('a', 'b'\), got 'c'$"):
        check_one_of('c', 'k', ('a', 'b'))
    assert check_ints([4, 5], 'size', length=2, minimum=1) == (4, 5)
    for bad in ([4, True], (4,), [4, 0], '45', [4.0, 5]):
        with pytest.raises(ValueError, match=r'^size: expected 2 ints >= 1, got '):
            check_ints(bad, 'size', length=2, minimum=1)


@pytest.mark.parametrize('maker, kwargs, message', [
    ('make_coco_dataset', dict(num_train=True), 'num_train: expected an int >= 1, got True'),
    ('make_coco_dataset', dict(size=(32.0, 64)), r'size: expected \(height, width\) of at least 32 pixels'),
    ('make_nyu_dataset', dict(num_val=True), 'num_val: expected an int >= 1, got True'),
    ('make_imagenet_dataset', dict(num_classes=True), r'num_classes: expected an int in \[2, 1000\], got True'),
    ('make_imagenet_dataset', dict(num_train=0), 'num_train: expected an int >= 1, got 0'),
    ('make_segmentation_dataset', dict(num_train=False), 'num_train: expected an int >= 1, got False'),
    ('make_segmentation_dataset', dict(layout='voc'), "layout: expected one of .*, got 'voc'"),
])
def test_tiny_data_refuses_before_writing(tmp_path, maker, kwargs, message):
    """Counts that were bools (True == 1 to Python) or floats used to be accepted."""
    from snnet_mm import tiny_data
    out = tmp_path / 'data'
    with pytest.raises(ValueError, match=message):
        getattr(tiny_data, maker)(out, **kwargs)
    assert not out.exists()
