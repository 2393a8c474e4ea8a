"""Quickstart: SN-Netv2 end to end on scikit-learn's digits, on a CPU, in minutes."""
from .digits import DigitsDataset
from .run import run_quickstart

__all__ = ['DigitsDataset', 'run_quickstart']
