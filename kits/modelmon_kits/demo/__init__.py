"""``modelmon demo``: the whole loop on an in-process Kubernetes API (see scenario.py)."""
