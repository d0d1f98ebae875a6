"""The calibrated posterior: parameter sets the 2025-26 record accepts, as a data file.

A posterior is two files side by side (issue 13, point 3):

* ``NAME.csv``: one accepted particle per row, a ``weight`` column (importance weights,
  positive, normalised on reading) and one column per ``uncertain`` parameter, in the
  parameter's own units;
* ``NAME.toml``: its provenance (``[provenance]``: version, commit, date, targets,
  population, generations, tolerance, simulations, history).

``draw(seed)`` picks one particle by weight from a stream of its own, so the replication
with seed ``s`` always takes the same parameter set and the model's own randomness (from
the same seed) is untouched. ``run``, ``sweep``, ``report`` and the app read posteriors only
through here. ``model/data/posterior/default.*`` is the one calibrated by
``pax-silica calibrate`` at the commit its provenance names.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model.params import ParameterError, coerce, registry, uncertain

POSTERIOR_DIR = Path(__file__).parent / "data" / "posterior"
DEFAULT = POSTERIOR_DIR / "default.csv"
PROVENANCE_FIELDS = (
    "version",
    "commit",
    "created",
    "targets",
    "population",
    "generations",
    "tolerance",
    "simulations",
    "history",
)
# The stream a posterior draw takes from a replication's seed: apart from the model's own.
DRAW_STREAM = 0x5057_5354  # "PWST"


class PosteriorError(ValueError):
    """A posterior file that cannot be used; the message names the file, row or field."""


@dataclass(frozen=True)
class Posterior:
    """Accepted parameter sets with their weights and where they came from."""

    names: tuple[str, ...]
    values: np.ndarray  # particles x parameters, in each parameter's units
    weights: np.ndarray  # normalised, sums to 1
    provenance: dict[str, Any]
    path: Path | None = None

    def __len__(self) -> int:
        return len(self.weights)

    def particle(self, i: int) -> dict[str, Any]:
        """The ``i``-th accepted parameter set, typed as the registry types it."""
        specs = registry()
        return {
            n: int(round(v)) if specs[n].type == "int" else float(v)
            for n, v in zip(self.names, self.values[i], strict=True)
        }

    def index(self, seed: int) -> int:
        """Which particle the replication with ``seed`` takes (by weight)."""
        rng = np.random.default_rng([DRAW_STREAM, int(seed)])
        return int(rng.choice(len(self.weights), p=self.weights))

    def draw(self, seed: int) -> dict[str, Any]:
        """The parameter set of the replication with ``seed``: one particle by weight."""
        return self.particle(self.index(seed))

    def ess(self) -> float:
        """Effective sample size of the weights (Kish)."""
        return float(1.0 / np.sum(self.weights**2))

    def quantiles(self, name: str, qs=(0.05, 0.5, 0.95)) -> list[float]:
        """Weighted quantiles of one parameter."""
        j = self.names.index(name)
        order = np.argsort(self.values[:, j])
        cum = np.cumsum(self.weights[order])
        return [float(self.values[order, j][np.searchsorted(cum, q)]) for q in qs]


def provenance_path(path: Path) -> Path:
    return path.with_suffix(".toml")


def resolve(name_or_path: str | Path) -> Path:
    """``default`` (or another name in ``model/data/posterior``) or a path to a CSV."""
    p = Path(name_or_path)
    if p.suffix == "" and not p.exists():
        return POSTERIOR_DIR / f"{p.name}.csv"
    return p


def load_posterior(name_or_path: str | Path) -> Posterior:
    """Read and check a posterior; ``PosteriorError`` naming the file and the field."""
    path = resolve(name_or_path)
    where = str(path)
    if not path.is_file():
        known = ", ".join(sorted(f.stem for f in POSTERIOR_DIR.glob("*.csv")))
        raise PosteriorError(f"{where}: no such posterior file (named ones: {known or 'none'})")
    prov_file = provenance_path(path)
    if not prov_file.is_file():
        raise PosteriorError(f"{prov_file}: missing; a posterior needs its provenance file")
    try:
        prov = tomllib.loads(prov_file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise PosteriorError(f"{prov_file}: not valid TOML ({err})") from None
    prov = prov.get("provenance")
    if not isinstance(prov, dict):
        raise PosteriorError(f"{prov_file}: expected a [provenance] table")
    for f in PROVENANCE_FIELDS:
        if f not in prov:
            raise PosteriorError(f"{prov_file}: provenance.{f}: missing")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PosteriorError(f"{where}: not a text CSV file") from None
    return parse_particles(text, where, prov, path)


def parse_particles(
    text: str, where: str, provenance: dict[str, Any], path: Path | None = None
) -> Posterior:
    """The particles of a posterior CSV text, checked against the registry."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not rows[0]:
        raise PosteriorError(f"{where}: empty; expected a header 'weight,<parameter>,...'")
    header = [h.strip() for h in rows[0]]
    if header[0] != "weight":
        raise PosteriorError(f"{where}: column 1: expected 'weight'; got {header[0]!r}")
    names = header[1:]
    allowed = {s.name for s in uncertain()}
    for n in names:
        if n not in allowed:
            raise PosteriorError(
                f"{where}: column {n!r}: expected an uncertain parameter of parameters.toml"
            )
    if len(set(names)) != len(names) or not names:
        raise PosteriorError(f"{where}: header: expected each parameter once, at least one")
    body = [r for r in rows[1:] if r]
    if not body:
        raise PosteriorError(f"{where}: no particles; expected at least one row")
    values = np.empty((len(body), len(names)))
    weights = np.empty(len(body))
    for i, r in enumerate(body, start=2):
        if len(r) != len(header):
            raise PosteriorError(f"{where}: row {i}: expected {len(header)} values; got {len(r)}")
        weights[i - 2] = _number(r[0], where, i, "weight")
        if not weights[i - 2] > 0:
            raise PosteriorError(f"{where}: row {i}: weight: expected > 0; got {r[0]!r}")
        for j, (n, cell) in enumerate(zip(names, r[1:], strict=True)):
            v = _number(cell, where, i, n)
            lo, hi = registry()[n].prior
            if not lo <= v <= hi:
                raise PosteriorError(
                    f"{where}: row {i}: {n}: expected a value in its prior [{lo:g}, {hi:g}]; "
                    f"got {cell!r}"
                )
            try:
                coerce(n, int(round(v)) if registry()[n].type == "int" else v)
            except ParameterError as e:
                raise PosteriorError(f"{where}: row {i}: {n}: {e.detail}") from None
            values[i - 2, j] = v
    return Posterior(
        names=tuple(names),
        values=values,
        weights=weights / weights.sum(),
        provenance=dict(provenance),
        path=path,
    )


def _number(cell: str, where: str, row: int, field: str) -> float:
    try:
        v = float(cell)
    except ValueError:
        raise PosteriorError(
            f"{where}: row {row}: {field}: expected a number; got {cell!r}"
        ) from None
    if not math.isfinite(v):
        raise PosteriorError(f"{where}: row {row}: {field}: expected a finite number")
    return v


def write_posterior(post: Posterior, path: str | Path) -> None:
    """Write the particles and their provenance, each file whole or not at all."""
    from model.files import atomic_write_all

    path = Path(path)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["weight", *post.names])
    for wt, row in zip(post.weights, post.values, strict=True):
        w.writerow([repr(float(wt)), *(repr(float(v)) for v in row)])
    prov = _toml({"provenance": post.provenance})
    atomic_write_all(
        [
            (provenance_path(path), lambda p: p.write_text(prov, encoding="utf-8")),
            (path, lambda p: p.write_text(buf.getvalue(), encoding="utf-8")),
        ]
    )


def _toml(data: dict[str, dict[str, Any]]) -> str:
    """A flat two-level TOML text (tables of strings, numbers, lists of strings)."""
    out = []
    for table, fields in data.items():
        out.append(f"[{table}]")
        for k, v in fields.items():
            out.append(f"{k} = {_value(v)}")
    return "\n".join(out) + "\n"


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


def posterior_overrides(post: Posterior | None, scenario, seed: int) -> dict[str, Any]:
    """The uncertain parameters the replication with ``seed`` takes from ``post``: every
    one it holds except those the scenario sets away from their defaults (a preset's
    credibility crisis stays a crisis); explicit overrides, given after these, win too."""
    if post is None:
        return {}
    from model.params import defaults

    base = defaults()
    draw = post.draw(seed)
    return {k: v for k, v in draw.items() if scenario.params.get(k, base[k]) == base[k]}


# --- the posterior in the ODD -------------------------------------------------------------
ODD_BEGIN = "<!-- posterior table: generated by `uv run python -m model.posterior` -->"
ODD_END = "<!-- end of posterior table -->"


def shift(post: Posterior, name: str) -> float:
    """How far a parameter's weighted median moved from its prior's, as a share of the
    prior range (on the prior's own scale, log or linear): 0 = not at all."""
    spec = registry()[name]
    lo, hi = spec.prior

    def place(x: float) -> float:
        if spec.prior_scale == "log":
            return (math.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo))
        return (x - lo) / (hi - lo)

    return place(post.quantiles(name, (0.5,))[0]) - 0.5


def markdown_table(post: Posterior, top: int = 12) -> str:
    """The parameters whose posterior moved most from the prior: prior range, posterior
    median and 90% interval, and the shift, with the posterior's provenance."""
    specs = registry()
    ranked = sorted(post.names, key=lambda n: -abs(shift(post, n)))
    p = post.provenance
    lines = [
        ODD_BEGIN,
        "",
        f"Posterior `model/data/posterior/default.csv`: {len(post)} particles (effective "
        f"sample size {post.ess():.0f}), {p['simulations']:,} simulations, "
        f"{p['generations']} generations, tolerance {p['tolerance']:.3g}, commit "
        f"{p['commit']}. The {top} of {len(post.names)} uncertain parameters whose median "
        "moved most (shift: the median's move as a share of the prior range, on the prior's "
        f"scale; the sampling error of a shift is about {0.5 / math.sqrt(post.ess()):.3f}"
        "):",
        "",
        "| parameter | prior | posterior median | 90% interval | shift |",
        "|---|---|---|---|---|",
    ]
    for n in ranked[:top]:
        lo, med, hi = post.quantiles(n)
        a, b = specs[n].prior
        scale = " (log)" if specs[n].prior_scale == "log" else ""
        lines.append(
            f"| `{n}` | {a:g}-{b:g}{scale} | {med:.3g} | {lo:.3g}-{hi:.3g} | "
            f"{shift(post, n):+.2f} |"
        )
    lines += ["", ODD_END]
    return "\n".join(lines)


def update_odd(path: Path, post: Posterior | None = None) -> bool:
    """Rewrite the posterior table in ``path`` between its markers; True if it changed."""
    post = post or load_posterior(DEFAULT)
    text = path.read_text(encoding="utf-8")
    start, end = text.index(ODD_BEGIN), text.index(ODD_END) + len(ODD_END)
    new = text[:start] + markdown_table(post) + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    odd = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
    print("docs/ODD.md updated" if update_odd(odd) else "docs/ODD.md already up to date")
