"""modelmon: a Kubernetes operator that keeps ML models in production honest."""

__version__ = "0.1.0"
