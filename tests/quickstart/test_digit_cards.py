"""The classification quickstart's digits drawn as the scenes draw them: one card on the plane."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip('sklearn')

from snnet_mm.quickstart.digits import DigitsDataset, RandomDigitCard  # noqa: E402
from snnet_mm.tiny_data.digit_scenes import render_card  # noqa: E402
from snnet_mm.tiny_data.digits import digit_split, upsample  # noqa: E402


def _card_box(image: np.ndarray, digit: np.ndarray, sides: tuple[int, int]) -> tuple[int, int, int]:
    """(side, x, y) of the one place where the upsampled digit matches the picture."""
    grey = image.astype(int)
    for side in range(sides[0], sides[1] + 1):
        tile = upsample(digit[None], side)[0].astype(int)
        for y in range(image.shape[0] - side + 1):
            for x in range(image.shape[1] - side + 1):
                if np.abs(grey[y:y + side, x:x + side] - tile[..., None]).max() <= 16:  # noise of 4 grey levels
                    return side, x, y
    raise AssertionError('no card of the digit in the picture')


def test_a_card_is_the_digit_at_a_side_in_range_on_the_plane():
    digits, _, _ = digit_split('val')
    image = render_card(np.random.default_rng(5), digits[0], 32, (12, 20))
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    side, x, y = _card_box(image, digits[0], (12, 20))
    outside = np.ones((32, 32), dtype=bool)
    outside[y:y + side, x:x + side] = False
    assert image[outside].mean() > 60  # the plane (grey 100-170) around a black card


def test_validation_cards_are_fixed_and_training_cards_change():
    val = DigitsDataset(split='val', img_size=32, card_sides=(12, 32), limit=8)
    again = DigitsDataset(split='val', img_size=32, card_sides=(12, 32), limit=8)
    assert all(np.array_equal(a['img'], b['img']) for a, b in zip(val, again))
    digits, labels, _ = digit_split('val')
    assert [s['gt_label'] for s in val] == labels[:8].tolist()
    assert _card_box(val[0]['img'], digits[0], (12, 32))
    np.random.seed(0)
    first = [RandomDigitCard(sides=(12, 32))(dict(s))['img'] for s in val]
    second = [RandomDigitCard(sides=(12, 32))(dict(s))['img'] for s in val]
    assert all(not np.array_equal(a, b) for a, b in zip(first, second))
    assert _card_box(first[0], digits[0], (12, 32))


@pytest.mark.parametrize('kwargs, message', [
    (dict(card_sides=(20, 12)), r'card_sides: expected smallest <= largest <= the picture side 32, got \(20, 12\)'),
    (dict(card_sides=(12, 40)), r'card_sides: expected smallest <= largest <= the picture side 32, got \(12, 40\)'),
    (dict(card_sides=(0, 12)), r'card_sides: expected \(smallest, largest\) card side in pixels'),
    (dict(img_size=4), r'img_size: expected an int >= 8, got 4'),
])
def test_bad_card_settings_name_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DigitsDataset(split='val', limit=2, **kwargs)


def test_random_card_needs_the_digit_and_a_fitting_side():
    with pytest.raises(KeyError, match="no 'digit'"):
        RandomDigitCard()(dict(img=np.zeros((32, 32, 3), np.uint8)))
    sample = dict(img=np.zeros((16, 16, 3), np.uint8), digit=np.zeros((8, 8)))
    with pytest.raises(ValueError, match=r'sides: expected smallest <= largest <= the picture side 16'):
        RandomDigitCard(sides=(12, 32))(sample)
