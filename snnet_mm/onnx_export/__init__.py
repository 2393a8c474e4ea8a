"""Export stitches of a trained model to ONNX, checked in onnxruntime (needs torch and onnxruntime).

``task_graph``: a built mmpretrain / mmseg / mmdet model as one tensor-in, tensors-out module;
``exporter``: ``torch.onnx`` export at a pinned opset and the onnxruntime parity check;
``front``: the Pareto stitches of a sweep written as a ``snnet_mm.deploy`` front bundle.
"""
from .exporter import OPSET, ParityError, export_checked
from .task_graph import TaskGraph

__all__ = ['OPSET', 'ParityError', 'TaskGraph', 'export_checked']
