"""Drift of a dataset: reference profiles, per-feature comparison, data quality, verdict.

Pure: numpy arrays and category counts in, typed results out. Reading files lives in
``modelmon.data``; running a whole check in ``modelmon.checking``.
"""
