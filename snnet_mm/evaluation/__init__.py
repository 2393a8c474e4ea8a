"""Stitch sweeps: evaluate every stitch, Pareto front, budget selection, plots."""
from ..stitching.pareto import higher_is_better, metric_names, pareto_front, primary_metric, select_stitch
from ..stitching.sweep_records import read_records
from .results import append_record, write_tables

__all__ = ['append_record', 'higher_is_better', 'metric_names', 'pareto_front', 'primary_metric', 'read_records',
           'select_stitch', 'write_tables']
