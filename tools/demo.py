"""A web page that switches the stitches of one trained model by budget, on your images.

    python tools/demo.py CONFIG CHECKPOINT [--results stitches.json] [--port 7860] [--host 127.0.0.1]

Loads the model once; the slider chooses the stitch within a GFLOPs (or, when the sweep timed
them, latency) budget, stopping at the Pareto front of ``--results`` (a sweep's ``stitches.json``
or ``sweep_results.jsonl``) or at every stitch; a route box picks any stitch exactly. Each
request draws the prediction with the task's upstream visualizer, as ``tools/infer.py`` does.
Needs the demo extra: ``pip install -e ".[demo]"``. Serves on 127.0.0.1 only unless ``--host``.
"""
from __future__ import annotations

import argparse

from mmengine.config import DictAction


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--results', help="a sweep's stitches.json or sweep_results.jsonl (snnet sweep)")
    parser.add_argument('--port', type=int, default=7860)
    parser.add_argument('--host', default='127.0.0.1', help='address to listen on (default: this machine only)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--examples', nargs='+', help="example images (default: the first of the config's test set)")
    parser.add_argument('--screenshot', metavar='OUT.png',
                        help='instead of serving until interrupted: draw the first example in headless Chromium '
                             '(apt-get install chromium; pip install playwright), save the page as OUT.png, stop')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from snnet_mm.demo.page import import_gradio
    from snnet_mm.demo.server import check_port, launch
    from snnet_mm.demo.session import StitchDemo
    try:
        import_gradio()
        check_port(args.host, args.port)  # before the model loads
        demo = StitchDemo.from_files(args.config, args.checkpoint, results=args.results, device=args.device,
                                     cfg_options=args.cfg_options, examples=args.examples)
    except (ImportError, ValueError) as error:
        raise SystemExit(f'snnet demo: {error}') from None
    if args.screenshot is None:
        launch(demo, host=args.host, port=args.port)
        return
    if not demo.examples:
        raise SystemExit('snnet demo: --screenshot needs an example image (--examples IMAGE)')
    from snnet_mm.demo.browser import screenshot
    page = launch(demo, host=args.host, port=args.port, block=False, quiet=True)
    try:
        print(f'wrote {screenshot(f"http://{args.host}:{args.port}/", args.screenshot, image=demo.examples[0])}')
    finally:
        page.close()


if __name__ == '__main__':
    main()
