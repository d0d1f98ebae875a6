"""The parameter registry: one place that knows every parameter, its default and range.

Defaults live in ``data/parameters.toml`` (with unit and justification), not in code, so the
model, the scenario loader, the command line, the app and ``docs/ODD.md`` cannot drift apart.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"

TYPES = ("float", "int", "bool", "actors")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: what it is, what it may be, and why its default is what it is."""

    name: str
    group: str
    type: str
    default: Any
    min: float | None
    max: float | None
    unit: str
    doc: str

    def expected(self) -> str:
        """Plain words for what a valid value looks like, used in every error message."""
        if self.type == "bool":
            return "true or false"
        if self.type == "actors":
            return "a list of actor ids"
        kind = "a whole number" if self.type == "int" else "a number"
        return f"{kind} in [{_fmt(self.min)}, {_fmt(self.max)}]"


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    return f"{x:g}"


class ParameterError(ValueError):
    """A parameter value the model cannot accept; ``field`` names it, the message says why."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = message


@cache
def registry() -> dict[str, ParamSpec]:
    """All parameters, read once from ``data/parameters.toml``."""
    raw = tomllib.loads((DATA_DIR / "parameters.toml").read_text(encoding="utf-8"))
    specs = {}
    for name, entry in raw.items():
        if entry["type"] not in TYPES:
            raise RuntimeError(f"parameters.toml: {name}.type must be one of {TYPES}")
        specs[name] = ParamSpec(
            name=name,
            group=entry["group"],
            type=entry["type"],
            default=entry["default"],
            min=entry.get("min"),
            max=entry.get("max"),
            unit=entry.get("unit", ""),
            doc=entry["doc"],
        )
    return specs


def defaults() -> dict[str, Any]:
    """A fresh dict of every parameter at its default."""
    return {
        name: (list(s.default) if s.type == "actors" else s.default)
        for name, s in registry().items()
    }


def coerce(name: str, value: Any, *, from_text: bool = False) -> Any:
    """Check one value against its spec and return it in the parameter's type.

    ``from_text`` accepts strings as typed on a command line or in a text box
    (``"0.3"``, ``"true"``, ``"USA,JPN"``); otherwise types must already match.
    Raises ``ParameterError`` naming the parameter and what was expected.
    """
    specs = registry()
    if name not in specs:
        raise ParameterError(name, f"unknown parameter (known: {', '.join(sorted(specs))})")
    spec = specs[name]
    if from_text and isinstance(value, str):
        value = _parse_text(spec, value)
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise ParameterError(name, f"expected {spec.expected()}, got {value!r}")
        return value
    if spec.type == "actors":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ParameterError(name, f"expected {spec.expected()}, got {value!r}")
        return list(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(name, f"expected {spec.expected()}, got {value!r}")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the float range (TOML integers are unbounded)
        raise ParameterError(name, f"expected {spec.expected()}, got {value!r}") from None
    if math.isnan(number) or math.isinf(number):
        raise ParameterError(name, f"expected {spec.expected()}, got {value!r}")
    if spec.type == "int" and not number.is_integer():
        raise ParameterError(name, f"expected {spec.expected()}, got {value!r}")
    if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
        raise ParameterError(name, f"expected {spec.expected()}, got {value!r}")
    return int(value) if spec.type == "int" else float(value)


def _parse_text(spec: ParamSpec, text: str) -> Any:
    t = text.strip()
    if spec.type == "bool":
        low = t.lower()
        if low in ("true", "yes", "1", "on"):
            return True
        if low in ("false", "no", "0", "off"):
            return False
        return text
    if spec.type == "actors":
        return [a.strip() for a in t.split(",") if a.strip()]
    try:
        return int(t) if spec.type == "int" else float(t)
    except ValueError:
        pass
    if spec.type == "int":  # "12.0" is a whole number, as `steps = 12.0` is in TOML
        try:
            number = float(t)
        except ValueError:
            return text
        if number.is_integer():
            return int(number)
    return text


ODD_BEGIN = "<!-- parameter table: generated by `uv run python -m model.params`; do not edit -->"
ODD_END = "<!-- end of parameter table -->"


def markdown_table() -> str:
    """Every parameter as a Markdown table (name, default, range, unit, justification),
    grouped as in ``parameters.toml``; ``docs/ODD.md`` carries exactly this table."""
    lines = [
        ODD_BEGIN,
        "",
        "| group | parameter | default | range | unit | justification |",
        "|---|---|---|---|---|---|",
    ]
    for s in registry().values():
        if s.type == "bool":
            rng = "true / false"
        elif s.type == "actors":
            rng = "actor ids"
        else:
            rng = f"[{_fmt(s.min)}, {_fmt(s.max)}]"
        default = (
            ", ".join(s.default)
            if s.type == "actors"
            else (str(s.default).lower() if s.type == "bool" else f"{s.default:g}")
        )
        doc = s.doc.replace("|", "\\|")
        lines.append(f"| {s.group} | `{s.name}` | {default} | {rng} | {s.unit} | {doc} |")
    lines += ["", ODD_END]
    return "\n".join(lines)


def update_odd(path: Path) -> bool:
    """Rewrite the parameter table in ``path`` between its markers; True if it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(ODD_BEGIN), text.index(ODD_END) + len(ODD_END)
    new = text[:start] + markdown_table() + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    odd = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
    print("docs/ODD.md updated" if update_odd(odd) else "docs/ODD.md already up to date")
