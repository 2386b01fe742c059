"""Live performance against the backtest baseline: pure evaluation, no I/O.

``labelled`` holds the labelled predictions the data layer reads; ``windows`` picks the
rolling windows out of them; ``measures`` computes each metric (with the counts the
significance test needs); ``verdicts`` turns a measure, its baseline and thresholds into a
severity and a recommendation; ``assessment`` runs every metric on every window and
``report`` is the result in the shape of ``status.lastCheck.performance``.
"""
