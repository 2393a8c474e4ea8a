"""The demo's Gradio page: an image, a budget slider over the stitches, the drawn prediction, the front.

Gradio is imported here only (``pip install -e .[demo]``); ``import snnet_mm`` never imports it.
Bad input (a file that is not an image, an image with alpha, an unknown route) is answered by a
message in the page and the server keeps serving: the events take the inputs' raw values and
``StitchDemo`` checks them.
"""
from __future__ import annotations

import os
from typing import Any

from .session import StitchDemo
from .view import caption, describe, front_points, slider_scale


def import_gradio():
    """Gradio with its usage analytics off (nothing leaves the machine); an ImportError naming the extra."""
    os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')
    try:
        import gradio
    except ImportError as error:
        raise ImportError(f'snnet demo needs gradio: pip install -e ".[demo]" ({error})') from None
    return gradio


def image_path(value: Any) -> str | None:
    """The uploaded file's path from the image input's raw value (the page's events skip Gradio's
    own preprocessing, which fails on a file that is not an image before any handler could say so)."""
    if isinstance(value, dict):
        return value.get('path')
    return value


def theme(gr):
    """Gradio's default look with the system's fonts: the page fetches no web fonts."""
    return gr.themes.Default(font=['ui-sans-serif', 'system-ui', 'sans-serif'],
                             font_mono=['ui-monospace', 'monospace'])


def _message(text: str) -> str:
    return f'**{text}**' if text else ''


def build_page(demo: StitchDemo):
    """The ``gradio.Blocks`` of ``demo`` (not launched)."""
    gr = import_gradio()
    import pandas as pd
    menu = demo.menu
    scale = slider_scale(menu)
    start = menu.stops[-1]

    def plot(current: int):
        rows, x, y = front_points(menu, current, scale)
        return pd.DataFrame(rows, columns=[x, y, 'stitch', 'route'])

    def show(index: int, image: Any, *, moved: bool) -> list[Any]:
        """The page after choosing stitch ``index`` (``moved``: the slider, route and plot follow)."""
        stitch_outputs = [index, scale.value(menu.cost(index)), menu.stitches[index].route, plot(index)] if moved \
            else [gr.skip()] * 4
        image = image_path(image)
        if image is None:
            return stitch_outputs + [None, describe(menu, index), gr.skip(), '']
        try:
            shot = demo.run(image, index)
        except ValueError as error:
            return stitch_outputs + [None, describe(menu, index), gr.skip(), _message(str(error))]
        top5 = {name: score for name, score in shot.prediction.top5} or gr.skip()
        return stitch_outputs + [shot.prediction.picture, describe(menu, index, shot), top5, '']

    def on_budget(value: float, image: Any) -> list[Any]:
        return show(menu.pick(scale.budget(value), tolerance=scale.tolerance), image, moved=True)

    def on_route(text: str, image: Any) -> list[Any]:
        try:
            index = demo.resolve(text)
        except ValueError as error:
            return [gr.skip()] * 7 + [_message(str(error))]
        return show(index, image, moved=True)

    def on_image(image: Any, index: int) -> list[Any]:
        return show(index, image, moved=False)

    def on_front(image: Any) -> list[Any]:
        try:
            shots = demo.run_front(image_path(image))
        except ValueError as error:
            return [gr.skip(), _message(str(error))]
        return [[(s.prediction.picture, caption(menu, s)) for s in shots], '']

    task = demo.task
    with gr.Blocks(title=f'snnet demo: {demo.title}', analytics_enabled=False) as page:
        gr.Markdown(f'## {demo.title}: {task}, {len(menu.stitches)} stitches, one model\n'
                    'Choose a budget: the model switches to the best stitch within it (no reload). '
                    + ('The slider stops at the Pareto front of the sweep.' if menu.metric
                       else 'The slider stops at every stitch (give a sweep\'s --results to see its front).'))
        if menu.note:
            gr.Markdown(_message(menu.note), elem_id='note')
        current = gr.State(start)
        with gr.Row():
            with gr.Column():
                image = gr.Image(type='filepath', image_mode=None, sources=['upload'], label='image', height=300,
                                 elem_id='image-in')
                if demo.examples:
                    gr.Examples([[str(p)] for p in demo.examples], inputs=[image], label='examples')
                unit = 'latency' if menu.budget == 'latency_ms' else 'compute'
                slider = gr.Slider(scale.minimum, scale.maximum, value=scale.value(menu.cost(start)),
                                   step=scale.step, label=f'{unit} budget ({scale.unit})', elem_id='budget')
                with gr.Row():
                    route = gr.Textbox(menu.stitches[start].route, label='route (or stitch index)',
                                       elem_id='route-box', scale=3)
                    use_route = gr.Button('use route', elem_id='use-route', scale=1)
                run_front = gr.Button('run every front stitch', elem_id='run-front')
            with gr.Column():
                output = gr.Image(type='numpy', format='png', label='prediction', interactive=False,
                                  height=300, elem_id='output')
                info = gr.Markdown(describe(menu, start), elem_id='info')
                message = gr.Markdown('', elem_id='message')
                top5 = gr.Label(num_top_classes=5, label='top-5', visible=task == 'classification',
                                elem_id='top5')
        _, x, y = front_points(menu, start, scale)
        front = gr.ScatterPlot(plot(start), x=x, y=y, color='stitch', tooltip=['route', x, y],
                               title=f'{y} vs {x}', elem_id='front',
                               color_map={'stitch': '#9aa5b1', 'front': '#d1495b', 'current': '#1f77b4'})
        gallery = gr.Gallery(label='every front stitch', columns=min(len(menu.front), 6), format='png',
                             height='auto', elem_id='front-gallery')
        outputs = [current, slider, route, front, output, info, top5, message]
        raw = dict(preprocess=False)  # see image_path
        slider.release(on_budget, [slider, image], outputs, **raw)
        use_route.click(on_route, [route, image], outputs, **raw)
        route.submit(on_route, [route, image], outputs, **raw)
        image.change(on_image, [image, current], outputs, **raw)
        run_front.click(on_front, [image], [gallery, message], **raw)
    return page
