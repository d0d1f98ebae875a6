"""Typed parameter objects: each rule reads the parameters it uses by name.

A rule's parameters are a small frozen dataclass whose field names are the names in
``model/data/parameters.toml``; ``Rules.of(p)`` picks them from the model's parameter
mapping once per run, so a rule's signature says exactly what it depends on. Being
frozen, one object serves every run with the same values (``Parameters.of``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields
from functools import cache
from numbers import Real
from typing import Any, Self


@cache
def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def value_key(values: tuple) -> tuple:
    """A key for parameter values (of a cache of what is made from them) that tells apart
    what ``==`` does not: their types (1 == 1.0 == True) and the sign of a zero
    (0.0 == -0.0), so that a cached result is the one these very values would give."""
    key = (values, tuple(map(type, values)))
    if 0 in values:  # a zero: its sign too
        key += (tuple(math.copysign(1.0, v) if isinstance(v, Real) else 0.0 for v in values),)
    return key


# Parameter objects made so far: (class, ``value_key``) -> the object (frozen, so shared).
_MADE: dict[tuple, Any] = {}
_MAX_MADE = 256


class Parameters:
    """Mixin for a frozen dataclass of parameters named as in parameters.toml."""

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> Self:
        """The parameters this class names, taken from ``p`` (the same object for the same
        values: made once per process)."""
        values = tuple([p[name] for name in _names(cls)])
        try:
            key = (cls, value_key(values))
            made = _MADE.get(key)
        except TypeError:  # a value that cannot be a key (a list): made afresh
            return cls(*values)
        if made is None:
            if len(_MADE) >= _MAX_MADE:
                _MADE.clear()
            made = _MADE[key] = cls(*values)
        return made
