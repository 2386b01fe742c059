"""The operator: kopf handlers (thin) over reconcilers that apply what the pure core plans."""
