"""``snnet demo``: a web page that switches one trained model's stitches by budget.

Layers, bottom up: ``inference`` (the upstream inferencer built once, shared with
``tools/infer.py``), ``menu`` (the slider's stitches from a sweep or from FLOPs), ``session``
(the loaded model, checked inputs, ``set_stitch``), ``view`` (what the page shows, as values),
``page`` and ``server`` (Gradio, imported there only: ``pip install -e .[demo]``).
"""
