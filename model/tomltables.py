"""Reading a file of named TOML tables (claims, calibration targets) with one clear error.

Both the claims ledger and the calibration targets are files of ``[name]`` tables, each a
record the model checks field by field. The reading and the wording of an error are the
same for both, so they live here: ``tables`` parses the text, ``FieldCheck`` words what a
field should have been and what it was.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any


def tables(text: str, origin: str, error: type[ValueError], what: str) -> dict[str, Any]:
    """The top-level tables of ``text``; ``error`` naming ``origin`` if it is not TOML or
    holds no ``what`` (e.g. "entry", "target")."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{origin}: not valid TOML ({err})") from None
    if not raw:
        raise error(f"{origin}: expected at least one {what}; found none")
    return raw


@dataclass(frozen=True)
class FieldCheck:
    """The errors of one table ``name`` of ``origin``: a table at all, and each field."""

    origin: str
    name: str
    table: Any
    error: type[ValueError]

    def require_table(self) -> None:
        """``error`` unless the entry is a table of fields."""
        if not isinstance(self.table, dict):
            raise self.error(
                f"{self.origin}: {self.name}: expected a table of fields; got {self.table!r}"
            )

    def bad(self, field: str, expected: str) -> ValueError:
        """The error for ``field``: what was expected, and what was found (or missing)."""
        got = "missing" if field not in self.table else f"got {self.table[field]!r}"
        return self.error(f"{self.origin}: {self.name}.{field}: expected {expected}; {got}")
