"""Kubernetes glue: the only package that imports the ``kubernetes`` client."""
