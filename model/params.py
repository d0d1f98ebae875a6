"""The parameter registry: one place that knows every parameter, its default and range.

Defaults live in ``data/parameters.toml`` (with unit and justification), not in code, so the
model, the scenario loader, the command line, the app and ``docs/ODD.md`` cannot drift apart.

Every parameter carries a ``tag`` (issue 13): ``data`` (its value comes from a source, or it
is a definition or a run setting; ``source`` says which), ``lever`` (what a government
chooses) or ``uncertain`` (behavioural, no direct data; ``prior``, ``prior_scale`` and
``prior_reason`` give the range calibration may search and why). A lever names its
``actor`` (issue 15): who pulls it, one actor id of ``data/actors.csv`` or several (a knob
every pressurer turns), so that ``pax-silica optimize --as us|china`` finds the levers of
one side in the data, not in a list in code.
"""

from __future__ import annotations

import csv
import math
import tomllib
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"

TYPES = ("float", "int", "bool", "actors")
TAGS = ("data", "lever", "uncertain")
PRIOR_SCALES = ("linear", "log")


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
    tag: str
    source: str = ""
    prior: tuple[float, float] | None = None
    prior_scale: str | None = None
    prior_reason: str = ""
    actors: tuple[str, ...] = ()  # a lever's: who pulls it (actor ids)
    search: tuple[float, float] | None = None  # a lever's range for the optimiser, if narrower
    search_reason: str = ""

    def search_range(self) -> tuple[float, float]:
        """The range ``pax-silica optimize`` searches: ``search`` if given, else min..max."""
        return self.search if self.search is not None else (self.min, self.max)

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
def actor_ids() -> frozenset[str]:
    """The actor ids of ``data/actors.csv``: what a lever's ``actor`` may name."""
    with (DATA_DIR / "actors.csv").open(encoding="utf-8", newline="") as f:
        return frozenset(row["actor_id"] for row in csv.DictReader(f))


@cache
def registry() -> dict[str, ParamSpec]:
    """All parameters, read once from ``data/parameters.toml``."""
    return parse_registry((DATA_DIR / "parameters.toml").read_text(encoding="utf-8"))


def parse_registry(text: str | Path, origin: str = "parameters.toml") -> dict[str, ParamSpec]:
    """The parameters of a ``parameters.toml``-style text (or file), in file order.

    Raises ``RuntimeError`` naming ``origin`` (a file's name), the parameter and the field,
    and what was expected, for the first entry it cannot accept."""
    if isinstance(text, Path):
        text, origin = text.read_text(encoding="utf-8"), text.name
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise RuntimeError(f"{origin}: not valid TOML ({err})") from None
    return {name: _spec(name, entry, origin) for name, entry in raw.items()}


def _spec(name: str, entry: Any, origin: str) -> ParamSpec:
    def bad(field: str, expected: str, got: Any = None) -> RuntimeError:
        tail = "missing" if got is None else f"got {got!r}"
        return RuntimeError(f"{origin}: {name}.{field}: expected {expected}; {tail}")

    if not isinstance(entry, dict):
        raise RuntimeError(f"{origin}: {name}: expected a table of fields; got {entry!r}")
    for field in ("group", "type", "default", "doc"):
        if field not in entry:
            raise bad(field, "a value")
    if entry["type"] not in TYPES:
        raise bad("type", f"one of {', '.join(TYPES)}", entry["type"])
    spec = ParamSpec(
        name=name,
        group=entry["group"],
        type=entry["type"],
        default=entry["default"],
        min=entry.get("min"),
        max=entry.get("max"),
        unit=entry.get("unit", ""),
        doc=entry["doc"],
        tag=entry.get("tag", ""),
        source=entry.get("source", ""),
        prior=None,
        prior_scale=entry.get("prior_scale"),
        prior_reason=entry.get("prior_reason", ""),
    )
    tag = entry.get("tag")
    if tag not in TAGS:
        raise bad("tag", f"one of {', '.join(TAGS)}", tag)
    for field in ("source", "prior_reason"):
        if field in entry and not isinstance(entry[field], str):
            raise bad(field, "a string", entry[field])
    for field in ("actor", "search", "search_reason"):
        if tag != "lever" and field in entry:
            raise bad(field, f"no {field} on {tag} parameters (only levers have one)", entry[field])
    if tag == "data" and not spec.source.strip():
        raise bad("source", "where a data parameter's value comes from (a non-empty string)")
    if tag != "uncertain":
        for field in ("prior", "prior_scale", "prior_reason"):
            if field in entry:
                raise bad(
                    field,
                    f"no {field} on a {tag} parameter (only uncertain ones have one)",
                    entry[field],
                )
        if tag == "lever":
            spec = replace(spec, actors=_actors(entry.get("actor"), bad))
            if "search" in entry or "search_reason" in entry:
                spec = replace(
                    spec,
                    search=_search(spec, entry.get("search"), bad),
                    search_reason=_reason(entry.get("search_reason"), bad),
                )
        return spec
    if spec.type not in ("float", "int"):
        raise bad("type", "float or int for an uncertain parameter", spec.type)
    return replace(spec, prior=_prior(spec, entry, bad))


def _actors(actor: Any, bad) -> tuple[str, ...]:
    """A lever's ``actor``: one actor id of ``actors.csv`` or a non-empty list of them."""
    known = actor_ids()
    expected = 'an actor id of actors.csv (e.g. "USA", "CHN") or a list of them'
    ids = [actor] if isinstance(actor, str) else actor
    if not (isinstance(ids, list) and ids and all(isinstance(a, str) for a in ids)):
        raise bad("actor", expected, actor)
    for a in ids:
        if a not in known:
            raise bad("actor", f"{expected}; {a!r} is not one", actor)
    if len(set(ids)) < len(ids):
        raise bad("actor", "each actor once", actor)
    return tuple(ids)


def _search(spec: ParamSpec, search: Any, bad) -> tuple[float, float]:
    """A lever's ``search``: [lo, hi] within its min..max, lo < hi, whole for an int."""
    if spec.type not in ("float", "int"):
        raise bad("search", "no search range on a true/false or actors lever", search)
    ok = isinstance(search, list) and len(search) == 2
    ok = ok and all(isinstance(x, int | float) and not isinstance(x, bool) for x in search)
    if not ok or not all(math.isfinite(x) for x in search):
        raise bad("search", "[lo, hi], two numbers", search)
    lo, hi = float(search[0]), float(search[1])
    if spec.type == "int" and not (lo.is_integer() and hi.is_integer()):
        raise bad("search", "[lo, hi], two whole numbers for an int parameter", search)
    if not lo < hi:
        raise bad("search", "lo < hi", search)
    if spec.min is None or spec.max is None or lo < spec.min or hi > spec.max:
        raise bad(
            "search", f"a range within [min, max] = [{_fmt(spec.min)}, {_fmt(spec.max)}]", search
        )
    return (lo, hi)


def _reason(reason: Any, bad) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise bad("search_reason", "one sentence on why the search range is this", reason)
    return reason


def _prior(spec: ParamSpec, entry: dict, bad) -> tuple[float, float]:
    """An uncertain parameter's prior, checked against its range, default and scale."""
    prior = entry.get("prior")

    def number(x: Any) -> bool:
        return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)

    if not number(spec.default):
        raise bad("default", "a number for an uncertain parameter", spec.default)
    if not (isinstance(prior, list) and len(prior) == 2 and all(number(x) for x in prior)):
        raise bad("prior", "[lo, hi], two numbers", prior)
    lo, hi = float(prior[0]), float(prior[1])
    if spec.type == "int" and not (lo.is_integer() and hi.is_integer()):
        raise bad("prior", "[lo, hi], two whole numbers for an int parameter", prior)
    if lo >= hi:
        raise bad("prior", "lo < hi", prior)
    if spec.min is None or spec.max is None:
        raise bad("min", "min and max for an uncertain parameter, to hold its prior")
    if lo < spec.min or hi > spec.max:
        raise bad(
            "prior", f"a range within [min, max] = [{_fmt(spec.min)}, {_fmt(spec.max)}]", prior
        )
    if not lo <= spec.default <= hi:
        raise bad("prior", f"a range containing the default {spec.default!r}", prior)
    if spec.prior_scale not in PRIOR_SCALES:
        raise bad("prior_scale", f"one of {', '.join(PRIOR_SCALES)}", spec.prior_scale)
    if spec.prior_scale == "log" and lo <= 0:
        raise bad("prior", "lo > 0 on a log scale", prior)
    if not spec.prior_reason.strip():
        raise bad("prior_reason", "one sentence on why the prior is this range")
    return (lo, hi)


def tagged(tag: str) -> list[ParamSpec]:
    """The parameters with ``tag`` (one of ``TAGS``), in file order."""
    if tag not in TAGS:
        raise ValueError(f"tag: expected one of {', '.join(TAGS)}; got {tag!r}")
    return [s for s in registry().values() if s.tag == tag]


def levers_of(actor: str) -> list[ParamSpec]:
    """The levers ``actor`` (an actor id) pulls alone, in file order: not those it shares
    with others (``pressure_intensity`` scales every pressurer's budget)."""
    return [s for s in tagged("lever") if s.actors == (actor,)]


def uncertain() -> list[ParamSpec]:
    """The behavioural parameters with no direct data, each with its prior, in file order."""
    return tagged("uncertain")


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


def tag_summary() -> str:
    """The count of parameters per tag, as the sentence the ODD table opens with."""
    n = {t: len(tagged(t)) for t in TAGS}
    return (
        f"{len(registry())} parameters: {n['data']} data, {n['lever']} levers, "
        f"{n['uncertain']} uncertain."
    )


def prior_cell(s: ParamSpec) -> str:
    """An uncertain parameter's prior as the table shows it (``[lo, hi]``, ``log`` when on a
    log scale); empty for the others."""
    if s.prior is None:
        return ""
    lo, hi = s.prior
    return f"[{_fmt(lo)}, {_fmt(hi)}]" + (" log" if s.prior_scale == "log" else "")


def markdown_table() -> str:
    """Every parameter as a Markdown table (name, tag, default, range, prior, unit,
    justification), grouped as in ``parameters.toml``, under a count per tag;
    ``docs/ODD.md`` carries exactly this table."""
    lines = [
        ODD_BEGIN,
        "",
        tag_summary(),
        "",
        "| group | parameter | tag | default | range | prior | unit | justification |",
        "|---|---|---|---|---|---|---|---|",
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
        lines.append(
            f"| {s.group} | `{s.name}` | {s.tag} | {default} | {rng} | {prior_cell(s)} "
            f"| {s.unit} | {doc} |"
        )
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
