"""Experimental designs for sweeps: which parameter values to run, and with which seeds.

A design is a scenario, the parameters to vary, a sampling scheme and a number of
replications per point:

* ``grid``   full factorial; a range ``low:high`` gives ``levels`` evenly spaced values
  (whole numbers for an int parameter, duplicates dropped); a list gives its values;
* ``lhs``    ``samples`` points of a Latin hypercube (``scipy.stats.qmc.LatinHypercube``)
  seeded by the design seed;
* ``sobol``  Saltelli's scheme for Sobol indices (``SALib.sample.sobol``): ``samples`` is
  the base sample N (a power of 2); the design has N * (D + 2) points, N * (2D + 2) with
  ``second_order``;
* ``morris`` ``samples`` Morris trajectories (``SALib.sample.morris``) on ``levels``
  levels (default 4): N * (D + 1) points.

With nothing varied, a ``grid`` design is one point: a sweep of replications alone.

The scenario may be varied too, as a categorical factor: ``--vary scenario=baseline,expansion``
(presets or ``.toml`` paths; ``[vary] scenario = [...]`` in a design file). The design's
points are then those of the parameters, crossed with the scenarios, scenario outermost:
point ``s * P + q`` is parameter point ``q`` of scenario ``s``. Each point carries its
scenario's label (its name; its reference if two share a name), which the runs' ``scenario``
column holds. Sobol and Morris designs take one scenario (their estimators need the
sample's own order): sweep each scenario on its own.

Sampled designs work in the unit cube and map each coordinate ``u`` to a value: a float
range to ``low + u * (high - low)``; an int range to ``low + floor(u * (high - low + 1))``
(capped at ``high``); a list of k values to the value at ``floor(u * k)`` (capped at the
last). The unit coordinates are kept (``Design.unit``) for the sensitivity analysis.

Seeds. Run (point p, replication r) of a sweep with ``seed = S`` uses the model seed::

    numpy.random.SeedSequence(entropy=S, spawn_key=(p, r)).generate_state(1, uint64)[0] >> 1

i.e. the first 64-bit word of ``SeedSequence(S).spawn(p + 1)[p].spawn(r + 1)[r]``, halved to
fit a signed 64-bit column. It depends on nothing but (S, p, r): not on chunking, workers
or the order in which runs finish. The sampled designs draw their points from
``numpy.random.default_rng(design_seed)`` (``design_seed`` defaults to ``seed``), a stream
of the root sequence that no run uses.

Everything is validated before anything runs; a bad value raises ``DesignError`` (a
``ScenarioError``, so the command line prints it as one ``error:`` line and exits 2).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from model.params import ParameterError, ParamSpec, coerce, registry
from model.posterior import Posterior, PosteriorError, load_posterior
from model.scenario import (
    Scenario,
    ScenarioError,
    is_path,
    load_scenario,
    preset_names,
    resolve_path,
)

DESIGNS = ("grid", "lhs", "sobol", "morris")
DEFAULT_LEVELS = {"grid": 3, "morris": 4}
DESIGN_FILE_KEYS = {
    "scenario",
    "vary",
    "design",
    "samples",
    "levels",
    "replications",
    "seed",
    "design_seed",
    "steps",
    "set",
    "second_order",
    "posterior",
}
SEED_RULE = (
    "seed(p, r) = SeedSequence(entropy=SEED, spawn_key=(p, r))"
    ".generate_state(1, uint64)[0] >> 1, i.e. the first 64-bit word of "
    "SeedSequence(SEED).spawn(p+1)[p].spawn(r+1)[r], halved to fit int64; p is the "
    "point id (0-based, design order), r the replication (0-based)"
)
MAX_RUNS = 10_000_000
SCENARIO_FACTOR = "scenario"  # --vary scenario=a,b: the scenario as a factor of the design


class DesignError(ScenarioError):
    """A design the sweep cannot run: ``str()`` is ``source: field: what was expected``."""

    def __init__(self, field: str, message: str, source: str | None = None):
        ValueError.__init__(
            self, f"{source}: {field}: {message}" if source else f"{field}: {message}"
        )
        self.source, self.field, self.detail = source or "", field, message


def run_seed(seed: int, point: int, rep: int) -> int:
    """The model seed of run (point, rep) of a sweep seeded ``seed`` (see module doc)."""
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(point, rep))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


# ------------------------------------------------------------------------ varied ----
@dataclass(frozen=True)
class Vary:
    """One varied parameter: a range (``low``/``high``) or a list of ``values``."""

    name: str
    type: str  # float | int | bool
    low: float | int | None = None
    high: float | int | None = None
    values: tuple | None = None

    @property
    def kind(self) -> str:
        return "values" if self.values is not None else "range"

    def grid(self, levels: int) -> list:
        if self.values is not None:
            return list(self.values)
        xs = np.linspace(self.low, self.high, levels)
        if self.type == "int":
            return sorted({int(round(x)) for x in xs})
        return [float(x) for x in xs]

    def from_unit(self, u: np.ndarray) -> list:
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        if self.values is not None:
            k = len(self.values)
            return [self.values[i] for i in np.minimum((u * k).astype(int), k - 1)]
        if self.type == "int":
            span = int(self.high) - int(self.low)
            return [int(self.low) + int(i) for i in np.minimum(np.floor(u * (span + 1)), span)]
        return [float(self.low + x * (self.high - self.low)) for x in u]

    def bounds(self) -> tuple[float, float]:
        """The value range (for plots and scenario discovery); lists as their min/max."""
        if self.values is not None:
            nums = [float(v) for v in self.values]
            return min(nums), max(nums)
        return float(self.low), float(self.high)

    def text(self) -> str:
        """As given to --vary: ``name=low:high`` or ``name=a,b,c``."""
        if self.values is not None:
            return f"{self.name}={','.join(_show(x) for x in self.values)}"
        return f"{self.name}={_show(self.low)}:{_show(self.high)}"

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"name": self.name, "type": self.type, "kind": self.kind}
        if self.values is not None:
            d["values"] = list(self.values)
        else:
            d["low"], d["high"] = self.low, self.high
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Vary:
        vals = d.get("values")
        return cls(
            d["name"],
            d["type"],
            d.get("low"),
            d.get("high"),
            tuple(vals) if vals is not None else None,
        )


def _spec_for(name: str, source: str | None, fld: str) -> ParamSpec:
    specs = registry()
    if name not in specs:
        raise DesignError(
            fld, f"unknown parameter {name!r}; expected one of {', '.join(sorted(specs))}", source
        )
    spec = specs[name]
    if spec.type == "actors":
        raise DesignError(
            fld,
            f"{name} is a list of actor ids and cannot be varied; "
            "expected a number or true/false parameter",
            source,
        )
    return spec


def _value(spec: ParamSpec, raw: Any, source: str | None, fld: str) -> Any:
    """One value checked against the parameter's type and allowed range."""
    if isinstance(raw, str) and not raw.strip():
        raise DesignError(fld, f"empty value; expected {spec.expected()}", source)
    try:
        return coerce(spec.name, raw, from_text=isinstance(raw, str))
    except ParameterError as e:
        raise DesignError(fld, e.detail, source) from None


def make_range(
    name: str, low: Any, high: Any, source: str | None = None, fld: str | None = None
) -> Vary:
    fld = fld or name
    spec = _spec_for(name, source, fld)
    if spec.type == "bool":
        raise DesignError(
            fld,
            f"a range low:high needs a numeric parameter; {name} is true "
            f"or false: list the values instead, e.g. {name}=true,false",
            source,
        )
    for which, raw in (("low", low), ("high", high)):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            raise DesignError(
                fld,
                f"empty range: the {which} end is missing; expected "
                f"low:high with numbers in {spec.expected().split(' in ')[-1]}",
                source,
            )
    lo = _value(spec, low, source, fld)
    hi = _value(spec, high, source, fld)
    if lo > hi:
        raise DesignError(
            fld,
            f"low above high ({_show(lo)} > {_show(hi)}); expected low:high with low below high",
            source,
        )
    if lo == hi:
        raise DesignError(
            fld,
            f"empty range ({_show(lo)}:{_show(hi)}); expected low below "
            f"high (to fix a value use --set {name}={_show(lo)})",
            source,
        )
    return Vary(name, spec.type, lo, hi)


def make_values(name: str, values: list, source: str | None = None, fld: str | None = None) -> Vary:
    fld = fld or name
    spec = _spec_for(name, source, fld)
    if not values:
        raise DesignError(
            fld, f"empty list; expected one or more values, each {spec.expected()}", source
        )
    out = []
    for v in values:
        x = _value(spec, v, source, fld)
        if x not in out:
            out.append(x)
    return Vary(name, spec.type, values=tuple(out))


def _show(x: Any) -> str:
    return str(x).lower() if isinstance(x, bool) else f"{x:g}" if isinstance(x, float) else str(x)


def parse_vary(text: str, source: str = "--vary") -> Vary:
    """``name=low:high`` (a range) or ``name=a,b,c`` (a list)."""
    if "=" not in text:
        raise DesignError(
            text or "''",
            "expected name=low:high or name=a,b,c, e.g. pressure_intensity=0.5:3",
            source,
        )
    name, rhs = (s.strip() for s in text.split("=", 1))
    if not name:
        raise DesignError(
            text, "missing the parameter name; expected name=low:high or name=a,b,c", source
        )
    _spec_for(name, source, name)
    if not rhs:
        raise DesignError(name, "empty range; expected low:high or a list a,b,c", source)
    if ":" in rhs:
        parts = rhs.split(":")
        if len(parts) != 2:
            raise DesignError(name, f"expected low:high, got {rhs!r}", source)
        return make_range(name, parts[0].strip(), parts[1].strip(), source)
    return make_values(name, [t.strip() for t in rhs.split(",") if t.strip()], source)


def is_scenario_vary(text: str) -> bool:
    """Whether a --vary text varies the scenario (``scenario=a,b``), not a parameter."""
    return text.split("=", 1)[0].strip() == SCENARIO_FACTOR


def scenario_refs(
    values: Any, source: str | None = None, base: Path | None = None, fld: str = "--vary"
) -> list[str]:
    """The scenarios of ``scenario=a,b`` (a text or a list): presets or ``.toml`` paths (made
    absolute, relative to ``base`` if given), each once, two or more; an unknown preset or a
    missing file is an error naming it."""
    if isinstance(values, str):
        values = [t.strip() for t in values.split(",")]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise DesignError(
            fld, f"scenario: expected a list of presets or .toml paths, got {values!r}", source
        )
    refs: list[str] = []
    presets = preset_names()
    for v in (v.strip() for v in values):
        if not v:
            continue
        if is_path(v):
            path = (base / v) if base is not None and not Path(v).is_absolute() else Path(v)
            if not path.is_file():
                raise DesignError(
                    fld,
                    f"scenario={v}: no such scenario file; expected a preset "
                    f"({', '.join(presets)}) or a .toml path",
                    source,
                )
            v = str(path.resolve())
        elif v not in presets:
            raise DesignError(
                fld,
                f"scenario={v}: unknown scenario; expected a preset ({', '.join(presets)}) "
                "or a .toml path",
                source,
            )
        if v not in refs:
            refs.append(v)
    if len(refs) < 2:
        raise DesignError(
            fld,
            f"scenario: expected two or more different scenarios (a,b), got {len(refs)}; "
            "for one scenario use --scenario",
            source,
        )
    return refs


def vary_from_toml(name: str, value: Any, source: str) -> Vary:
    """A ``[vary]`` entry: ``"low:high"``, ``"a,b,c"``, ``[a, b, c]`` or ``{low, high}``."""
    fld = f"vary.{name}"
    if isinstance(value, str):
        v = parse_vary(f"{name}={value}", source)
        return v
    if isinstance(value, list):
        return make_values(name, value, source, fld)
    if isinstance(value, dict):
        unknown = set(value) - {"low", "high"}
        if unknown:
            raise DesignError(
                f"{fld}.{sorted(unknown)[0]}", "unknown key; expected low and high", source
            )
        return make_range(name, value.get("low"), value.get("high"), source, fld)
    raise DesignError(
        fld, f'expected "low:high", a list of values or {{low, high}}, got {value!r}', source
    )


# ------------------------------------------------------------------------ design ----
@dataclass
class DesignSpec:
    """What the user asked for (command line and/or design file), before sampling."""

    scenario: str = "baseline"
    set: list[str] = field(default_factory=list)
    steps: int | None = None
    vary: list[Vary] = field(default_factory=list)
    design: str = "grid"
    samples: int | None = None
    levels: int | None = None
    replications: int = 1
    seed: int = 0
    design_seed: int | None = None
    second_order: bool = False
    posterior: str | None = None  # each run's uncertain parameters drawn from it
    scenarios: list[str] = field(default_factory=list)  # --vary scenario=a,b (else one)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["vary"] = [v.to_dict() for v in self.vary]
        if not self.scenarios:  # a sweep of one scenario hashes as before scenarios varied
            del d["scenarios"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> DesignSpec:
        d = dict(d)
        d["vary"] = [Vary.from_dict(v) for v in d.get("vary", [])]
        return cls(**d)


@dataclass
class Design:
    """A resolved design: the scenario, every point, and the design hash."""

    spec: DesignSpec
    scenario: Scenario
    points: list[dict]  # parameter name -> value, one per point
    unit: np.ndarray | None  # unit-cube coordinates (sampled designs)
    hash: str
    scenario_file: str | None
    scenario_file_sha256: str | None
    posterior: Posterior | None = None
    posterior_sha256: str | None = None
    # --vary scenario: label -> scenario, each point's label, and per scenario its record
    # (ref, name, label, file, file_sha256, digest, steps); empty for one scenario
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    scenario_of: list[str] = field(default_factory=list)
    scenario_records: list[dict] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.spec.vary]

    def variant_of(self, point: int) -> str:
        """The key of point's scenario in ``run_scenarios`` ("" for a one-scenario design)."""
        return self.scenario_of[point] if self.scenario_of else ""

    @property
    def run_scenarios(self) -> dict[str, Scenario]:
        return self.scenarios or {"": self.scenario}

    @property
    def max_steps(self) -> int:
        return max(int(s.params["steps"]) for s in self.run_scenarios.values())

    @property
    def n_points(self) -> int:
        return len(self.points)

    @property
    def n_runs(self) -> int:
        return len(self.points) * self.spec.replications

    def seed_of(self, point: int, rep: int) -> int:
        return run_seed(self.spec.seed, point, rep)

    def seeds(self) -> list[list[int]]:
        return [
            [self.seed_of(p, r) for r in range(self.spec.replications)]
            for p in range(self.n_points)
        ]

    def problem(self) -> dict:
        """The SALib problem in unit coordinates (as sampled)."""
        return {
            "num_vars": len(self.names),
            "names": self.names,
            "bounds": [[0.0, 1.0]] * len(self.names),
        }

    def to_manifest(self) -> dict:
        return {
            "spec": self.spec.to_dict(),
            "kind": self.spec.design,
            "parameters": [v.to_dict() for v in self.spec.vary],
            "n_points": self.n_points,
            "replications": self.spec.replications,
            "n_runs": self.n_runs,
            "points": [[p[n] for n in self.names] for p in self.points],
            "unit": None if self.unit is None else self.unit.tolist(),
            **(
                {"scenarios": list(self.scenarios), "scenario_of": list(self.scenario_of)}
                if self.scenario_of
                else {}
            ),
        }


def _whole(v: Any, fld: str, lo: int, source: str | None, hi: int | None = None) -> int:
    if isinstance(v, str):
        try:
            v = int(v.strip())
        except ValueError:
            pass
    if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
        rng = f"at least {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise DesignError(fld, f"expected a whole number {rng}, got {v!r}", source)
    return v


def check_spec(spec: DesignSpec, source: str | None = None) -> None:
    """Checks of the design fields themselves (scenario and points come in ``resolve``)."""

    def name(f: str) -> str:
        return f if source else f"--{f.replace('_', '-')}"

    if spec.design not in DESIGNS:
        raise DesignError(
            name("design"), f"expected one of {', '.join(DESIGNS)}, got {spec.design!r}", source
        )
    if not spec.vary and spec.design != "grid":
        raise DesignError(
            name("vary"),
            f"a {spec.design} design needs a parameter to vary; expected at least one "
            "name=low:high or name=a,b,c (with nothing varied, a grid design runs the "
            "replications of one point)",
            source,
        )
    if spec.scenarios and spec.design in ("sobol", "morris"):
        raise DesignError(
            name("vary"),
            f"scenario: a {spec.design} design takes one scenario (its indices need the "
            "sample's own order); expected a grid or lhs design, or one sweep per scenario",
            source,
        )
    seen = set()
    for v in spec.vary:
        if v.name in seen:
            raise DesignError(
                name("vary"), f"{v.name} is varied twice; expected each parameter once", source
            )
        seen.add(v.name)
    spec.replications = _whole(spec.replications, name("replications"), 1, source)
    spec.seed = _whole(spec.seed, name("seed"), 0, source)
    if spec.design_seed is not None:
        spec.design_seed = _whole(spec.design_seed, name("design_seed"), 0, source)
    if spec.steps is not None:
        spec.steps = _whole(spec.steps, name("steps"), 1, source, 400)
    if spec.design == "grid":
        if spec.samples is not None:
            raise DesignError(
                name("samples"),
                "a grid design takes --levels (values per range), not --samples",
                source,
            )
        spec.levels = _whole(
            spec.levels if spec.levels is not None else DEFAULT_LEVELS["grid"],
            name("levels"),
            2,
            source,
        )
        if not any(v.kind == "range" for v in spec.vary):
            spec.levels = None
    else:
        if spec.samples is None:
            raise DesignError(
                name("samples"),
                f"a {spec.design} design needs --samples N (a whole number of at least 1)",
                source,
            )
        spec.samples = _whole(spec.samples, name("samples"), 1, source)
        if spec.design == "sobol" and spec.samples & (spec.samples - 1):
            lo = 1 << (spec.samples.bit_length() - 1)
            raise DesignError(
                name("samples"),
                f"a sobol design needs a power of 2, got {spec.samples} (try {lo} or {lo * 2})",
                source,
            )
        if spec.design == "morris":
            spec.levels = _whole(
                spec.levels if spec.levels is not None else DEFAULT_LEVELS["morris"],
                name("levels"),
                2,
                source,
            )
        elif spec.levels is not None:
            raise DesignError(
                name("levels"), f"a {spec.design} design takes --samples, not --levels", source
            )
    if not isinstance(spec.second_order, bool):
        raise DesignError(
            name("second_order"), f"expected true or false, got {spec.second_order!r}", source
        )
    if spec.second_order and spec.design != "sobol":
        raise DesignError(
            name("second_order"), "only a sobol design has second-order indices", source
        )
    if not isinstance(spec.set, list) or not all(isinstance(s, str) for s in spec.set):
        raise DesignError(name("set"), f"expected a list of key=value, got {spec.set!r}", source)


def _unit_samples(spec: DesignSpec) -> np.ndarray:
    d = len(spec.vary)
    seed = spec.seed if spec.design_seed is None else spec.design_seed
    problem = {"num_vars": d, "names": [v.name for v in spec.vary], "bounds": [[0.0, 1.0]] * d}
    if spec.design == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(spec.samples)
    if spec.design == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, spec.samples, calc_second_order=spec.second_order, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, spec.samples, num_levels=spec.levels, seed=seed)


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scenario_digest(scen: Scenario) -> str:
    """A hash of everything a scenario sets (not where it was read from)."""
    d = asdict(scen)
    d.pop("source", None)
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()


def resolve(spec: DesignSpec, source: str | None = None) -> Design:
    """Validate a spec, load its scenario, sample its points and hash the whole."""
    spec = replace(spec, vary=list(spec.vary), set=list(spec.set), scenarios=list(spec.scenarios))
    check_spec(spec, source)
    if spec.scenarios:
        spec.scenario = spec.scenarios[0]
    overrides = list(spec.set) + ([f"steps={spec.steps}"] if spec.steps is not None else [])
    scen = load_scenario(spec.scenario, overrides)
    names = [v.name for v in spec.vary]
    if spec.design == "grid":
        grids = [v.grid(spec.levels or 2) for v in spec.vary]
        n = math.prod(len(g) for g in grids) * max(1, len(spec.scenarios))
        if n * spec.replications > MAX_RUNS:
            raise DesignError(
                "--levels" if not source else "levels",
                f"the grid has {n} "
                f"points x {spec.replications} replications; expected at most "
                f"{MAX_RUNS:,} runs",
                source,
            )
        points = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grids)]
        unit = None
    else:
        unit = _unit_samples(spec)
        if unit.shape[0] * max(1, len(spec.scenarios)) * spec.replications > MAX_RUNS:
            raise DesignError(
                "--samples" if not source else "samples",
                f"{unit.shape[0] * max(1, len(spec.scenarios))} "
                f"points x {spec.replications} replications; expected at most "
                f"{MAX_RUNS:,} runs",
                source,
            )
        cols = [v.from_unit(unit[:, j]) for j, v in enumerate(spec.vary)]
        points = [dict(zip(names, row, strict=True)) for row in zip(*cols, strict=True)]
    path = resolve_path(spec.scenario)
    file_hash = _sha256_file(path) if path.is_file() else None
    post, post_hash = _posterior(spec, source)
    variants, scenario_of, records = {}, [], []
    if spec.scenarios:
        variants, records = _scenario_factor(spec.scenarios, overrides)
        scenario_of = [label for label in variants for _ in points]
        points = [dict(p) for _ in variants for p in points]
        if unit is not None:
            unit = np.tile(unit, (len(variants), 1))
    body = {
        "posterior": post_hash,
        "spec": spec.to_dict(),
        "scenario": scenario_digest(scen),
        "points": [[p[n] for n in names] for p in points],
        "unit": None if unit is None else unit.tolist(),
    }
    if records:  # each scenario's content: a changed file changes the hash
        body["scenarios"] = [[r["label"], r["digest"]] for r in records]
    digest = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    return Design(
        spec=spec,
        scenario=scen,
        points=points,
        unit=unit,
        hash=f"sha256:{digest}",
        scenario_file=str(path.resolve()) if path.is_file() else None,
        scenario_file_sha256=file_hash,
        posterior=post,
        posterior_sha256=post_hash,
        scenarios=variants,
        scenario_of=scenario_of,
        scenario_records=records,
    )


def _scenario_factor(refs: list[str], overrides: list[str]) -> tuple[dict, list[dict]]:
    """The scenarios of ``--vary scenario``, by label (the scenario's name, or its reference
    where two share a name), and a record of each for the manifest."""
    loaded = [load_scenario(r, overrides) for r in refs]
    counts: dict[str, int] = {}
    for sc in loaded:
        counts[sc.name] = counts.get(sc.name, 0) + 1
    variants: dict[str, Scenario] = {}
    records = []
    for ref, sc in zip(refs, loaded, strict=True):
        label = sc.name if counts[sc.name] == 1 else ref
        path = resolve_path(ref)
        records.append(
            {
                "ref": ref,
                "name": sc.name,
                "label": label,
                "file": str(path.resolve()) if path.is_file() else None,
                "file_sha256": _sha256_file(path) if path.is_file() else None,
                "digest": scenario_digest(sc),
                "steps": sc.params["steps"],
            }
        )
        variants[label] = sc if label == sc.name else replace(sc, name=label)
    return variants, records


def _posterior(spec: DesignSpec, source: str | None) -> tuple[Posterior | None, str | None]:
    """The design's posterior and the hash of its particles (a new calibration written to
    the same file makes different runs, so resuming it is refused)."""
    if not spec.posterior:
        return None, None
    try:
        post = load_posterior(spec.posterior)
    except PosteriorError as e:
        raise DesignError("--posterior" if not source else "posterior", str(e), source) from None
    return post, _sha256_file(post.path)


# -------------------------------------------------------------------- design file ----
def read_design_file(path: Path) -> tuple[DesignSpec, set[str]]:
    """A TOML design file -> (spec, the keys it set). Scenario paths are relative to it."""
    source = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise DesignError("--design-file", f"no such file {source!r}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DesignError("--design-file", f"cannot read {source!r}: {e}") from None
    try:
        data = tomllib.loads(text)
    except ValueError as e:
        raise DesignError("TOML syntax", str(e), source) from None
    unknown = set(data) - DESIGN_FILE_KEYS
    if unknown:
        raise DesignError(
            sorted(unknown)[0],
            f"unknown key; expected one of {', '.join(sorted(DESIGN_FILE_KEYS))}",
            source,
        )
    spec = DesignSpec()
    if "scenario" in data:
        s = data["scenario"]
        if not isinstance(s, str) or not s.strip():
            raise DesignError(
                "scenario", f"expected a preset name or a .toml path, got {s!r}", source
            )
        spec.scenario = str((path.parent / s).resolve()) if is_path(s) else s
    if "vary" in data:
        if not isinstance(data["vary"], dict):
            raise DesignError(
                "vary", 'expected a table [vary] of name = "low:high" or name = [values]', source
            )
        table = dict(data["vary"])
        if SCENARIO_FACTOR in table:
            if "scenario" in data:
                raise DesignError(
                    "vary.scenario",
                    "the scenario is varied here and also set by scenario =; expected one",
                    source,
                )
            spec.scenarios = scenario_refs(
                table.pop(SCENARIO_FACTOR), source, path.parent, "vary.scenario"
            )
        spec.vary = [vary_from_toml(k, v, source) for k, v in table.items()]
    if "set" in data:
        s = data["set"]
        if isinstance(s, dict):
            spec.set = [f"{k}={_toml_text(v)}" for k, v in s.items()]
        elif isinstance(s, list) and all(isinstance(x, str) for x in s):
            spec.set = list(s)
        else:
            raise DesignError(
                "set", f'expected a table [set] or a list of "key=value", got {s!r}', source
            )
    for key in (
        "design",
        "samples",
        "levels",
        "replications",
        "seed",
        "design_seed",
        "steps",
        "second_order",
    ):
        if key in data:
            setattr(spec, key, data[key])
    if not isinstance(spec.design, str):
        raise DesignError(
            "design", f"expected one of {', '.join(DESIGNS)}, got {spec.design!r}", source
        )
    return spec, set(data)


def _toml_text(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    return str(v)
