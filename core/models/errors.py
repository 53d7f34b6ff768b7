"""The error every model loader raises (light: pages name it without importing a model library)."""

from __future__ import annotations


class ModelError(ValueError):
    """A model spec that cannot be resolved or loaded; the message says which and why."""
