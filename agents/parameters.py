"""Typed parameter objects: each rule reads the parameters it uses by name.

A rule's parameters are a small frozen dataclass whose field names are the names in
``model/data/parameters.toml``; ``Rules.of(p)`` picks them from the model's parameter
mapping once per run, so a rule's signature says exactly what it depends on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from functools import cache
from typing import Any, Self


@cache
def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


class Parameters:
    """Mixin for a frozen dataclass of parameters named as in parameters.toml."""

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> Self:
        """The parameters this class names, taken from ``p``."""
        return cls(**{name: p[name] for name in _names(cls)})  # type: ignore[call-arg]
