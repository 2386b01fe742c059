"""Pure statistics: numpy/scipy only, no Kubernetes, no I/O. Each module is one concept."""
