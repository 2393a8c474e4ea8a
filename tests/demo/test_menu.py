"""The demo's budget slider: which stitches it stops at, and that every stop can be reached."""
from __future__ import annotations

import json

import pytest

pytest.importorskip('mmengine')

from snnet_mm.demo.menu import build_menu, menu_from_costs, menu_from_results  # noqa: E402
from snnet_mm.demo.view import describe, front_points, slider_scale  # noqa: E402
from snnet_mm.stitching.cost import StitchCost  # noqa: E402
from snnet_mm.stitching.stitch import enumerate_stitches  # noqa: E402

STITCHES = enumerate_stitches((2, 4)).stitches


def costs(scale: float = 1e6) -> list[StitchCost]:
    """Backbone costs rising with the number of large blocks a route runs (ties included)."""
    return [StitchCost(flops=int(scale * (1 + s.route.count('L') + 3 * i // len(STITCHES))), params=1000 * (i + 1))
            for i, s in enumerate(STITCHES)]


def records(metric: str = 'mIoU', latency: bool = False) -> list[dict]:
    out = []
    for i, (s, c) in enumerate(zip(STITCHES, costs())):
        r = dict(index=i, route=s.route, kind=s.kind, flops=2 * c.flops, params=2 * c.params, pareto=False)
        r[metric] = float(c.flops % 7 + i % 3)
        if latency:
            r['latency_ms'] = c.flops / 1e6 + 0.1 * i
        out.append(r)
    return out


def write(tmp_path, rows: list[dict], name: str = 'stitches.json'):
    path = tmp_path / name
    path.write_text(json.dumps(dict(stitches=rows)))
    return path


def test_without_results_every_stitch_is_a_stop_and_a_budget_picks_the_most_expensive_within_it():
    menu = menu_from_costs(STITCHES, costs())
    assert sorted(menu.stops) == list(range(len(STITCHES))) and menu.metric is None and menu.budget == 'gflops'
    gflops = [menu.cost(i) for i in menu.stops]
    assert gflops == sorted(gflops)
    for budget in sorted(set(gflops)):
        chosen = menu.pick(budget)
        assert menu.cost(chosen) == budget  # the most expensive that fits: exactly the budget
    assert menu.pick(min(gflops) / 2) == menu.stops[0]  # below every stitch: the cheapest
    with pytest.raises(ValueError, match="budget: expected a finite number, got nan"):
        menu.pick(float('nan'))


def test_with_results_the_stops_are_the_front_one_per_cost_and_rise_in_the_metric(tmp_path):
    rows = records()
    menu = menu_from_results(write(tmp_path, rows), STITCHES, costs())
    assert menu.metric == 'mIoU' and menu.budget == 'gflops' and menu.cost_scope == 'model'
    values = [(menu.cost(i), menu.stitches[i].metric) for i in menu.stops]
    assert [c for c, _ in values] == sorted({c for c, _ in values})  # strictly increasing cost
    assert [m for _, m in values] == sorted(m for _, m in values)  # a front: better as it costs more
    for r in rows:  # every stitch is dominated by, or is, a stop
        assert any(menu.cost(i) <= r['flops'] / 1e9 and menu.stitches[i].metric >= r['mIoU'] for i in menu.stops)
    assert menu.stitches[3].gflops == rows[3]['flops'] / 1e9 and menu.stitches[3].params_m == rows[3]['params'] / 1e6


def test_a_timed_sweep_gives_a_latency_slider_and_lower_is_better_metrics_flip_the_front(tmp_path):
    menu = menu_from_results(write(tmp_path, records('rmse', latency=True)), STITCHES, costs())
    assert menu.budget == 'latency_ms'
    values = [menu.stitches[i].metric for i in menu.stops]
    assert values == sorted(values, reverse=True)  # rmse falls along the front


@pytest.mark.parametrize('edit, why', [
    (lambda rows: rows.append(dict(rows[-1], index=len(rows))), f'holds stitch {len(STITCHES)}, but this model has {len(STITCHES)} stitches'),
    (lambda rows: rows[2].update(route='S[0:1] -> L[3:4]'), "holds stitch 2 as 'S[0:1] -> L[3:4]'"),
])
def test_results_of_another_model_leave_every_stitch_on_the_slider_and_say_why(tmp_path, edit, why):
    rows = records()
    edit(rows)
    path = write(tmp_path, rows)
    with pytest.raises(ValueError, match='results of another model'):
        menu_from_results(path, STITCHES, costs())
    menu = build_menu(path, STITCHES, costs())
    assert why in menu.note and 'every stitch instead' in menu.note and len(menu.stops) == len(STITCHES)
    assert 'no such file' in build_menu(tmp_path / 'gone.json', STITCHES, costs()).note


@pytest.mark.parametrize('scale', [1e3, 1e6, 3e9])
@pytest.mark.parametrize('with_results', [False, True])
def test_every_stop_sits_on_the_slider_where_the_slider_picks_it_back(tmp_path, scale, with_results):
    """The slider rounds to its grid; the stitch shown at a stop's value is that stop."""
    cost_list = costs(scale)
    if with_results:
        rows = [dict(r, flops=c.flops * 3) for r, c in zip(records(), cost_list)]
        menu = menu_from_results(write(tmp_path, rows), STITCHES, cost_list)
    else:
        menu = menu_from_costs(STITCHES, cost_list)
    slider = slider_scale(menu)
    assert slider.unit == ('GFLOPs' if menu.cost(menu.stops[-1]) >= 1 else 'MFLOPs')
    for stop in menu.stops:
        value = slider.value(menu.cost(stop))
        assert slider.minimum <= value <= slider.maximum
        assert menu.pick(slider.budget(value), tolerance=slider.tolerance) == stop


def test_the_page_text_names_route_costs_and_metric_and_the_plot_marks_the_current_stitch(tmp_path):
    menu = menu_from_results(write(tmp_path, records()), STITCHES, costs())
    stop = menu.stops[1]
    text = describe(menu, stop)
    info = menu.stitches[stop]
    assert f'`{info.route}`' in text and 'whole model' in text and f'mIoU {info.metric:.4g}' in text
    rows, x, y = front_points(menu, stop, slider_scale(menu))
    groups = {r['route'].split(':')[0]: r['stitch'] for r in rows}
    assert groups[str(stop)] == 'current' and y == 'mIoU' and x == 'budget (MFLOPs)'
    assert sorted(int(i) for i, g in groups.items() if g != 'stitch') == sorted(menu.stops)


def test_a_budget_over_results_of_another_model_is_refused_even_when_its_pick_matches(tmp_path):
    from snnet_mm.stitching.sweep_records import pick_from_results
    rows = records()
    path = write(tmp_path, rows)
    best = pick_from_results(path, 1e3, STITCHES)
    other = next(i for i in range(len(rows)) if i != best)
    rows[other]['route'] = 'S[0:1] -> L[3:4]'
    with pytest.raises(ValueError, match=rf"stitch.results: .* holds stitch {other} as 'S\[0:1\] -> L\[3:4\]'"):
        pick_from_results(write(tmp_path, rows), 1e3, STITCHES)
