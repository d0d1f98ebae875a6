"""``pax-silica optimize``: a many-objective search over one side's levers for the Pareto
front, robust to the uncertain parameters (issue 15, point 1).

The levers searched are the parameters ``parameters.toml`` tags ``lever`` whose ``actor``
is the side's (``--as us``: the United States, ``--as china``: China), each over its
``search`` range (or its min..max), or those named with ``--lever``. The search is NSGA-II
(pymoo) in the unit cube of the levers; each candidate is run ``--draws`` x
``--replications`` times: ``--draws`` parameter sets drawn from the calibrated posterior
(issue 13) and ``--replications`` seeded runs of each. Every candidate meets the same draws
and the same seeds (common random numbers), so two candidates differ by their levers
alone, and a draw's best candidate is defined (regret). Objectives (``--objectives``;
the side sets which way each points):

    survival      share of runs the alliance survives to the horizon (2035)
    robustness    share of draws on which survival meets --target (the US) or on which
                  the alliance falls with that probability (China): satisficing robustness
    us_cost       US side payments plus public investment over the run, US$bn
    china_cost    China's coercion (pressure units and the cost of its controls)
    capital       capital committed at the horizon, US$bn

The front is the candidates no other candidate beats on every objective. Its points are
then re-run on fresh seeds and fresh draws (``--validate DxK``), and the table reports
those runs: survival with its 95% interval (Wilson's, on the runs' effective number: runs
on one draw share its parameters), satisficing robustness, and regret
(per draw of the search, the shortfall from the best candidate evaluated on it; worst and
mean over the draws). A point's survival is thus not the search's lucky estimate but an
independent one.

Folder (``--out DIR``)::

    DIR/manifest.json              the optimisation asked for, its levers, draws, sessions
    DIR/candidates/gen-*.parquet   each generation's candidates: unit coordinates, levers
    DIR/runs/part-*.parquet        one row per search run (as a sweep's rows: point is the
                                   candidate, replication = draw x replications + rep)
    DIR/validation/runs/*.parquet  the front's fresh runs
    DIR/front.csv, front.parquet   the front (``point`` numbers it, cheapest first)
    DIR/front.png                  the front: cost against survival, with intervals

Resumable: ``--resume DIR`` replays the search from its seed, taking every run already in
``DIR/runs`` as done (so nothing is run twice), and goes on (``--generations`` may grow);
the same seed gives the same front however often it was interrupted. Runs go through the
sweep's executor (``experiments.sweep``: worker processes, ``--scheduler``, or in
process) in chunks, with the collector off. ``pax-silica optimize-point DIR N`` shows point
N, ranks which uncertain parameters threaten it most, and writes it as a scenario file
that ``run``, ``report`` and the app load.
"""

from __future__ import annotations

import contextlib
import math
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.args import CliError, check_output, markdown_table, natural_int, positive_int
from experiments.catalogue import add_catalogue_arg, register_study
from experiments.design import DesignError, Vary, parse_vary, run_seed
from experiments.sweep import (
    EXIT_INTERRUPTED,
    LOCK,
    MANIFEST,
    RUNS,
    Progress,
    _check_scheduler,
    _check_where,
    _git_commit,
    _now,
    _versions,
    executor_for,
    load_results,
    run_chunk,
    write_manifest,
    write_part,
    writing,
)
from experiments.sweep import (
    read_manifest as read_folder_manifest,
)
from model.estimates import share_interval
from model.files import atomic_write
from model.params import levers_of, registry
from model.posterior import Posterior, PosteriorError, load_posterior, posterior_overrides
from model.scenario import Scenario, ScenarioError, is_path, load_scenario

FORMAT = "pax-silica-optimize/1"
CANDIDATES = "candidates"
VALIDATION = "validation"
FRONT = "front"
# The draws of the threat ranking start here, apart from the search's and validation's.
THREAT_DRAWS = 1 << 20


@dataclass(frozen=True)
class Side:
    """Who optimises: the actor whose levers are searched, and its default objectives."""

    key: str
    actor: str  # actor id in actors.csv
    name: str
    objectives: tuple[str, ...]
    survival_sense: str  # "max" (the US keeps the alliance) or "min" (China breaks it)


SIDES = {
    "us": Side("us", "USA", "the US", ("survival", "us_cost", "capital"), "max"),
    "china": Side("china", "CHN", "China", ("survival", "china_cost"), "min"),
}


@dataclass(frozen=True)
class Objective:
    name: str
    column: str | None  # the outcome column averaged; None: computed (robustness)
    label: str
    # which way it points for each side: "max" or "min"
    sense: dict[str, str]


OBJECTIVES = {
    "survival": Objective(
        "survival", "survived", "survival to the horizon", {"us": "max", "china": "min"}
    ),
    "robustness": Objective(
        "robustness", None, "satisficing robustness", {"us": "max", "china": "max"}
    ),
    "us_cost": Objective("us_cost", "us_cost", "US cost (US$bn)", {"us": "min", "china": "max"}),
    "china_cost": Objective(
        "china_cost",
        "china_coercion_cost",
        "China's coercion (units)",
        {"us": "max", "china": "min"},
    ),
    "capital": Objective(
        "capital",
        "final_capital_committed",
        "capital committed (US$bn)",
        {"us": "max", "china": "min"},
    ),
}


# ------------------------------------------------------------------------ levers ----
def side_of(text: str) -> Side:
    key = text.strip().lower()
    if key not in SIDES:
        raise CliError(f"--as: expected one of {', '.join(SIDES)}, got {text!r}")
    return SIDES[key]


def searchable(side: Side) -> list[str]:
    """The levers ``side`` pulls alone that a search can set (numbers and true/false)."""
    return [s.name for s in levers_of(side.actor) if s.type in ("float", "int", "bool")]


def default_vary(name: str) -> Vary:
    """A lever over its search range (``search`` in parameters.toml, else min..max)."""
    s = registry()[name]
    if s.type == "bool":
        return Vary(name, "bool", values=(False, True))
    lo, hi = s.search_range()
    if s.type == "int":
        return Vary(name, "int", int(lo), int(hi))
    return Vary(name, "float", float(lo), float(hi))


def parse_levers(texts: list[str], side: Side) -> list[Vary]:
    """``--lever NAME`` (its search range), ``NAME=LO:HI`` or ``NAME=A,B``; none: every
    lever of the side. A parameter that is not one of the side's levers is refused."""
    allowed = searchable(side)
    if not texts:
        return [default_vary(n) for n in allowed]
    out: list[Vary] = []
    for t in texts:
        name = t.split("=", 1)[0].strip()
        if name not in allowed:
            spec = registry().get(name)
            if spec is None:
                why = "unknown parameter"
            elif spec.tag != "lever":
                why = (
                    f"{'an' if spec.tag == 'uncertain' else 'a'} {spec.tag} parameter, not a lever"
                )
            else:
                why = f"a lever of {'/'.join(spec.actors)}, not of {side.name} alone"
            raise CliError(
                f"--lever: {name or t!r}: {why}; expected one of {side.name}'s levers: "
                f"{', '.join(allowed)}"
            )
        if any(v.name == name for v in out):
            raise CliError(f"--lever: {name} is given twice; expected each lever once")
        try:
            out.append(parse_vary(t, "--lever") if "=" in t else default_vary(name))
        except DesignError as e:
            raise CliError(str(e)) from None
    return out


# ------------------------------------------------------------------------- spec ----
@dataclass
class OptimizeSpec:
    """What was asked for: the manifest keeps it, ``--resume`` replays it."""

    scenario: str = "baseline"
    set: list[str] = field(default_factory=list)
    steps: int | None = None
    side: str = "us"
    levers: list[Vary] = field(default_factory=list)
    objectives: list[str] = field(default_factory=list)
    population: int = 20
    generations: int = 10
    draws: int = 5
    replications: int = 4
    posterior: str | None = "default"
    target: float = 0.8
    robust_share: float = 0.9
    seed: int = 0
    validate_draws: int = 30
    validate_replications: int = 5

    @property
    def runs_per_candidate(self) -> int:
        return self.draws * self.replications

    @property
    def runs_per_validation(self) -> int:
        return self.validate_draws * self.validate_replications

    def to_dict(self) -> dict:
        d = asdict(self)
        d["levers"] = [v.to_dict() for v in self.levers]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> OptimizeSpec:
        d = dict(d)
        d["levers"] = [Vary.from_dict(v) for v in d["levers"]]
        return cls(**d)


@dataclass
class Setup:
    """A spec made ready: its scenario, the scenario of each draw (made when first asked
    for, ``variant``), the side."""

    spec: OptimizeSpec
    scenario: Scenario
    posterior: Posterior | None
    particles: list[int | None]  # per search draw: which accepted set of the posterior
    variants: dict[str, Scenario] = field(default_factory=dict)

    def variant(self, d: int) -> str:
        """The name of draw ``d``'s scenario (the scenario with the uncertain parameters
        of the posterior's set for ``run_seed(seed, d, 0)``), made on first use."""
        key = f"draw{d}"
        if key not in self.variants:
            drawn = posterior_overrides(self.posterior, self.scenario, self.draw_seed(d))
            self.variants[key] = replace(self.scenario, params={**self.scenario.params, **drawn})
        return key

    @property
    def side(self) -> Side:
        return SIDES[self.spec.side]

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.spec.levers]

    def draw_seed(self, d: int) -> int:
        return run_seed(self.spec.seed, d, 0)

    def values(self, x: np.ndarray) -> dict[str, Any]:
        """A candidate's lever values from its unit coordinates."""
        return {v.name: v.from_unit([u])[0] for v, u in zip(self.spec.levers, x, strict=True)}


def _load_scenario(spec: OptimizeSpec) -> Scenario:
    overrides = list(spec.set) + ([f"steps={spec.steps}"] if spec.steps is not None else [])
    ref = spec.scenario
    if is_path(ref) and Path(ref).is_dir():
        raise CliError(f"--scenario: {ref} is a folder; expected a scenario .toml file")
    try:
        return load_scenario(ref, overrides)
    except ScenarioError:
        raise
    except (OSError, UnicodeDecodeError) as e:
        raise CliError(f"--scenario: cannot read {ref} ({e})") from None


def make_setup(spec: OptimizeSpec) -> Setup:
    check_spec(spec)
    scen = _load_scenario(spec)
    post = None
    if spec.posterior:
        try:
            post = load_posterior(spec.posterior)
        except PosteriorError as e:
            raise CliError(f"--posterior: {e}") from None
    particles = [
        None if post is None else post.index(run_seed(spec.seed, d, 0)) for d in range(spec.draws)
    ]
    return Setup(spec, scen, post, particles)


def check_spec(spec: OptimizeSpec) -> None:
    if spec.side not in SIDES:
        raise CliError(f"--as: expected one of {', '.join(SIDES)}, got {spec.side!r}")
    side = SIDES[spec.side]
    if not spec.levers:
        raise CliError(f"--lever: {side.name} has no lever to search")
    if not spec.objectives:
        spec.objectives = list(side.objectives)
    for o in spec.objectives:
        if o not in OBJECTIVES:
            raise CliError(
                f"--objectives: unknown objective {o!r}; expected some of {', '.join(OBJECTIVES)}"
            )
    if len(set(spec.objectives)) < len(spec.objectives):
        raise CliError("--objectives: an objective is named twice; expected each once")
    if len(spec.objectives) < 2:
        raise CliError("--objectives: expected at least two (a front needs a trade-off)")
    if "robustness" in spec.objectives and not spec.posterior:
        raise CliError("--objectives: robustness is over posterior draws; not with --no-posterior")
    if not 0.0 < spec.target < 1.0:
        raise CliError(f"--target: expected a share in (0, 1), got {spec.target:g}")
    if not 0.0 < spec.robust_share <= 1.0:
        raise CliError(f"--robust-share: expected a share in (0, 1], got {spec.robust_share:g}")
    if spec.population < 4:
        raise CliError(f"--population: expected at least 4, got {spec.population}")
    if not spec.posterior and (spec.draws != 1 or spec.validate_draws != 1):
        raise CliError(
            "--draws: draws are posterior draws; with --no-posterior expected 1 (and "
            "--validate 1xK)"
        )


def _share(text: str, flag: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise CliError(f"{flag}: expected a share such as 0.8, got {text!r}") from None


def _validate_arg(text: str) -> tuple[int, int]:
    parts = text.lower().split("x")
    try:
        d, k = (int(p) for p in parts)
    except ValueError:
        raise CliError(
            f"--validate: expected DRAWSxREPLICATIONS such as 30x5, got {text!r}"
        ) from None
    if d < 1 or k < 1:
        raise CliError(f"--validate: expected two whole numbers of at least 1, got {text!r}")
    return d, k


# ------------------------------------------------------------------------ search ----
def search(
    evaluate: Callable[[int, np.ndarray], np.ndarray],
    n_var: int,
    n_obj: int,
    population: int,
    generations: int,
    seed: int,
    on_generation: Callable[[int], None] | None = None,
):
    """NSGA-II (pymoo) over the unit cube ``[0, 1]^n_var``, minimising the ``n_obj``
    columns ``evaluate(generation, X)`` returns for each row of ``X``; return the finished
    algorithm. Deterministic in ``seed`` (pymoo's own generator), so a replay asks for the
    same candidates in the same order, and a shorter search is a prefix of a longer one."""
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.evaluator import Evaluator
    from pymoo.core.problem import Problem
    from pymoo.operators.sampling.lhs import LHS
    from pymoo.problems.static import StaticProblem

    problem = Problem(n_var=n_var, n_obj=n_obj, xl=0.0, xu=1.0)
    algo = NSGA2(pop_size=population, sampling=LHS(), eliminate_duplicates=True)
    algo.setup(problem, termination=("n_gen", generations), seed=seed, verbose=False)
    gen = 0
    while algo.has_next():
        pop = algo.ask()
        F = np.asarray(evaluate(gen, pop.get("X")), dtype=float)
        Evaluator().eval(StaticProblem(problem, F=F), pop)
        algo.tell(infills=pop)
        gen += 1
        if on_generation is not None:
            on_generation(gen)
    return algo


def non_dominated(F: np.ndarray) -> np.ndarray:
    """Indices of the rows of ``F`` (minimised) that no other row dominates."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    if len(F) == 0:
        return np.array([], dtype=int)
    return np.sort(NonDominatedSorting().do(F, only_non_dominated_front=True))


# ------------------------------------------------------------------- statistics ----
def per_draw_survival(runs: pd.DataFrame, replications: int) -> pd.DataFrame:
    """Survival of each candidate on each draw (candidates x draws)."""
    draw = runs["replication"] // replications
    return runs.assign(draw=draw).groupby(["point", "draw"])["survived"].mean().unstack("draw")


def meets(s: np.ndarray | pd.DataFrame, side: Side, target: float):
    """Whether survival ``s`` meets the side's target: at least ``target`` for the US, at
    most ``1 - target`` for China (the alliance falls with that probability)."""
    return s >= target - 1e-12 if side.survival_sense == "max" else s <= 1 - target + 1e-12


def effective_runs(per_draw: np.ndarray, replications: int) -> float:
    """How many independent runs ``per_draw`` (one row of a candidate's per-draw survival,
    ``replications`` runs each) are worth for the share's interval. Runs on one draw share
    its parameters, so they are not independent: the design effect is
    ``1 + (K - 1) ICC``, the intraclass correlation from the one-way analysis of variance
    of the 0/1 outcomes by draw. With no variation at all to tell (every run alike) the
    correlation is taken as 1: the draws, not the runs, are what was sampled."""
    s = np.asarray(per_draw, dtype=float)
    s = s[~np.isnan(s)]
    d, k = len(s), replications
    if k <= 1 or d == 0:
        return float(d * k)
    p = s.mean()
    msb = k * ((s - p) ** 2).sum() / max(d - 1, 1)
    msw = (k * s * (1 - s)).sum() / (d * (k - 1))
    denom = msb + (k - 1) * msw
    icc = 1.0 if denom <= 0 else min(max((msb - msw) / denom, 0.0), 1.0)
    return d * k / (1 + (k - 1) * icc)


def candidate_stats(
    runs: pd.DataFrame, replications: int, side: Side, target: float
) -> pd.DataFrame:
    """Per candidate: survival (share, 95% interval), robustness, mean outcomes. The
    interval is Wilson's on the effective number of runs (``effective_runs``): runs that
    share a posterior draw count for less than independent ones."""
    g = runs.groupby("point")
    out = pd.DataFrame(
        {
            "runs": g.size(),
            "survival": g["survived"].mean(),
            "us_cost": g["us_cost"].mean(),
            "china_cost": g["china_coercion_cost"].mean(),
            "capital": g["final_capital_committed"].mean(),
        }
    )
    per_draw = per_draw_survival(runs, replications)
    n_eff = [effective_runs(per_draw.loc[i].to_numpy(), replications) for i in out.index]
    bounds = [
        share_interval(out.loc[i, "survival"] * n, n) for i, n in zip(out.index, n_eff, strict=True)
    ]
    out["effective_runs"] = n_eff
    out["survival_lo"] = [b[0] for b in bounds]
    out["survival_hi"] = [b[1] for b in bounds]
    out["robustness"] = meets(per_draw, side, target).mean(axis=1)
    return out


def regrets(runs: pd.DataFrame, replications: int, side: Side) -> pd.DataFrame:
    """Per candidate, its shortfall in survival from the best candidate on each draw (the
    most surviving for the US, the least for China), worst and mean over the draws."""
    s = per_draw_survival(runs, replications)
    r = (s.max(axis=0) - s) if side.survival_sense == "max" else (s - s.min(axis=0))
    return pd.DataFrame({"max_regret": r.max(axis=1), "mean_regret": r.mean(axis=1)})


def objective_matrix(stats: pd.DataFrame, objectives: list[str], side: Side) -> np.ndarray:
    """The objectives as pymoo minimises them (a maximised one negated)."""
    cols = []
    for o in objectives:
        v = stats[o].to_numpy(dtype=float)
        cols.append(-v if OBJECTIVES[o].sense[side.key] == "max" else v)
    return np.column_stack(cols)


# ------------------------------------------------------------------- the folder ----
def read_manifest(folder: Path, flag: str) -> dict:
    """An optimisation folder's manifest (the sweep's reader, with this kind's words)."""
    return read_folder_manifest(folder, flag, "optimisation", "optimize", FORMAT)


def _write_table(path: Path, df: pd.DataFrame) -> None:
    if path.suffix == ".csv":
        atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(df, preserve_index=False)
        atomic_write(path, lambda tmp: pq.write_table(table, tmp))


class Optimisation:
    """One optimisation folder: the search's evaluations and the front's validation."""

    def __init__(self, setup: Setup, folder: Path, executor, manifest: dict, progress: bool = True):
        self.setup = setup
        self.spec = setup.spec
        self.folder = folder
        self.ex = executor
        self.manifest = manifest
        self.progress = progress
        self.next_id = 0
        self.candidates: list[pd.DataFrame] = []
        self.runs = load_results(folder, None) if (folder / RUNS).is_dir() else pd.DataFrame()
        self.before = len(self.runs)
        self.written = 0
        total = self.spec.generations * self.spec.population * self.spec.runs_per_candidate
        self.bar = Progress(total, min(self.before, total), enabled=progress)

    # -- running -----------------------------------------------------------------------
    def _run(self, todo: list[tuple], out: Path, per_point: int) -> pd.DataFrame:
        """Run ``todo`` (point, replication, seed, levers, variant) through the executor,
        each chunk written as a part of ``out/runs`` as it comes back."""
        if not todo:
            return pd.DataFrame()
        (out / RUNS).mkdir(parents=True, exist_ok=True)
        size = self.ex.chunk_size(len(todo))
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        frames: list[pd.DataFrame] = []

        def on_result(task, result):
            df, _ = result
            first = int(df["point"].iloc[0]) * per_point + int(df["replication"].iloc[0])
            write_part(out / RUNS, f"part-{first:09d}.parquet", df)
            frames.append(df)
            self.written += len(df)
            self.bar.update(len(df))

        def variants(chunk):  # a chunk carries the scenarios of its own draws only
            return {v: self.setup.variants[v] for v in {t[4] for t in chunk}}

        tasks = ((variants(c), c, self.setup.names, False, None) for c in chunks)
        self.ex.map_chunks(run_chunk, tasks, on_result)
        return pd.concat(frames, ignore_index=True)

    def _tasks(self, ids, values, first_draw, draws: int, reps: int, done) -> list[tuple]:
        """The runs of candidates ``ids`` not ``done``: draws ``first_draw(cid)`` on, ``reps``
        seeds each."""
        todo = []
        for cid in ids:
            for d in range(draws):
                draw = first_draw(cid) + d
                for k in range(reps):
                    rep = d * reps + k
                    if (cid, rep) in done:
                        continue
                    seed = run_seed(self.spec.seed, draw, k)
                    todo.append((cid, rep, seed, values[cid], self.setup.variant(draw)))
        return todo

    # -- the search --------------------------------------------------------------------
    def _record(self, gen: int, ids: list[int], X: np.ndarray) -> dict[int, dict]:
        """The generation's candidates, written before they run; on a replay, checked
        against what the folder holds (the same seed must ask for the same ones)."""
        import pyarrow.parquet as pq

        values = {cid: self.setup.values(x) for cid, x in zip(ids, X, strict=True)}
        df = pd.DataFrame({"candidate": ids, "generation": gen})
        for j in range(X.shape[1]):
            df[f"x{j}"] = X[:, j]
        for n in self.setup.names:
            df[n] = [values[c][n] for c in ids]
        path = self.folder / CANDIDATES / f"gen-{gen:05d}.parquet"
        if path.is_file():
            held = pq.read_table(path).to_pandas()
            xs = [f"x{j}" for j in range(X.shape[1])]
            if list(held["candidate"]) != ids or not np.array_equal(held[xs].to_numpy(), X):
                raise CliError(
                    f"--resume: {path} holds other candidates than the search now asks for "
                    "(a different pymoo version, or the folder was changed); start a new "
                    "optimisation with --out"
                )
        else:
            path.parent.mkdir(exist_ok=True)
            _write_table(path, df)
        self.candidates.append(df)
        return values

    def evaluate(self, gen: int, X: np.ndarray) -> np.ndarray:
        ids = list(range(self.next_id, self.next_id + len(X)))
        self.next_id += len(X)
        values = self._record(gen, ids, X)
        spec = self.spec
        done = set()
        if len(self.runs):
            mine = self.runs[self.runs["point"].isin(ids)]
            done = set(zip(mine["point"], mine["replication"], strict=True))
        # the search: every candidate on the same draws 0..D-1 (common random numbers)
        todo = self._tasks(ids, values, lambda cid: 0, spec.draws, spec.replications, done)
        new = self._run(todo, self.folder, spec.runs_per_candidate)
        if len(new):
            self.runs = pd.concat([self.runs, new], ignore_index=True)
        mine = self.runs[self.runs["point"].isin(ids)]
        stats = candidate_stats(mine, spec.replications, self.setup.side, spec.target)
        return objective_matrix(stats.loc[ids], spec.objectives, self.setup.side)

    def on_generation(self, gen: int) -> None:
        self.manifest["generations_done"] = max(self.manifest.get("generations_done", 0), gen)
        write_manifest(self.folder, self.manifest)
        if not self.progress:
            return
        stats = self.stats()
        stats = stats[stats.index < self.next_id]  # those of the generations so far
        F = objective_matrix(stats, self.spec.objectives, self.setup.side)
        nd = stats.iloc[non_dominated(F)]
        cost = self.cost_objective()
        best = nd["survival"].max() if self.setup.side.survival_sense == "max" else None
        best = nd["survival"].min() if best is None else best
        line = f"generation {gen}/{self.spec.generations}: {len(stats):,} candidates, front of "
        line += f"{len(nd)}; best survival {best:.2f}"
        if cost:
            line += f", cheapest {OBJECTIVES[cost].label}: {nd[cost].min():,.1f}"
        self.bar.close()
        print(line, file=sys.stderr, flush=True)

    def cost_objective(self) -> str | None:
        return next((o for o in self.spec.objectives if o.endswith("_cost")), None)

    def stats(self) -> pd.DataFrame:
        return candidate_stats(
            self.runs, self.spec.replications, self.setup.side, self.spec.target
        ).sort_index()

    # -- the front ---------------------------------------------------------------------
    def front(self) -> pd.DataFrame:
        """The non-dominated candidates, each re-run on fresh draws and seeds; one row
        per point, cheapest first."""
        spec, side = self.spec, self.setup.side
        cands = pd.concat(self.candidates, ignore_index=True).set_index("candidate")
        stats = self.stats()
        F = objective_matrix(stats, spec.objectives, side)
        nd = stats.index[non_dominated(F)]
        # candidates with the same levers (ints and true/false round alike) are one point
        seen: dict[tuple, int] = {}
        for cid in nd:
            key = tuple(cands.loc[cid, self.setup.names])
            seen.setdefault(key, int(cid))
        ids = sorted(seen.values())
        values = {cid: {n: _plain(cands.loc[cid, n]) for n in self.setup.names} for cid in ids}
        vfolder = self.folder / VALIDATION
        held = load_results(vfolder) if (vfolder / RUNS).is_dir() else pd.DataFrame()
        done = set(zip(held["point"], held["replication"], strict=True)) if len(held) else set()

        # the front: each point on fresh draws of its own, so that a lucky set of draws
        # does not lift every point at once
        def fresh(cid: int) -> int:
            return spec.draws + cid * spec.validate_draws

        todo = self._tasks(
            ids, values, fresh, spec.validate_draws, spec.validate_replications, done
        )
        self.bar = Progress(len(todo), 0, enabled=self.progress and bool(todo))
        if todo and self.progress:
            print(f"validating the front's {len(ids)} points on fresh seeds", file=sys.stderr)
        new = self._run(todo, vfolder, spec.runs_per_validation)
        self.bar.close()
        runs = pd.concat([held, new], ignore_index=True) if len(new) else held
        runs = runs[runs["point"].isin(ids)]
        fresh = candidate_stats(runs, spec.validate_replications, side, spec.target)
        reg = regrets(self.runs, spec.replications, side)
        rows = []
        for cid in ids:
            row = {"candidate": cid, "generation": int(cands.loc[cid, "generation"])}
            row.update({n: _plain(values[cid][n]) for n in self.setup.names})
            f = fresh.loc[cid]
            row.update(
                survival=f["survival"],
                survival_lo=f["survival_lo"],
                survival_hi=f["survival_hi"],
                runs=int(f["runs"]),
                effective_runs=f["effective_runs"],
                robustness=f["robustness"] if self.setup.posterior is not None else math.nan,
                max_regret=reg.loc[cid, "max_regret"],
                mean_regret=reg.loc[cid, "mean_regret"],
                us_cost=f["us_cost"],
                china_cost=f["china_cost"],
                capital=f["capital"],
                search_survival=stats.loc[cid, "survival"],
            )
            rows.append(row)
        df = pd.DataFrame(rows)
        cost = self.cost_objective() or spec.objectives[1]
        df = df.sort_values([cost, "candidate"], kind="stable").reset_index(drop=True)
        df.insert(0, "point", range(len(df)))
        return df


def _plain(v: Any) -> Any:
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


# ------------------------------------------------------------------- answering -----
def cheapest_meeting(front: pd.DataFrame, spec: OptimizeSpec) -> pd.Series | None:
    """The cheapest front point that meets the target on at least ``robust_share`` of the
    fresh posterior draws (without a posterior: whose interval clears the target)."""
    side = SIDES[spec.side]
    if spec.posterior:
        ok = front["robustness"] >= spec.robust_share - 1e-12
    elif side.survival_sense == "max":
        ok = front["survival_lo"] >= spec.target
    else:
        ok = front["survival_hi"] <= 1 - spec.target
    hits = front[ok]
    return None if hits.empty else hits.iloc[0]


def front_columns(spec: OptimizeSpec) -> list[str]:
    cols = ["point", *[v.name for v in spec.levers], "survival", "survival_lo", "survival_hi"]
    if spec.posterior:
        cols += ["robustness", "max_regret", "mean_regret"]
    cols += [o for o in spec.objectives if o not in ("survival", "robustness")]
    return cols


def _table(df: pd.DataFrame) -> str:
    return markdown_table(df, _cell)


def _cell(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return str(bool(v)).lower()
    if isinstance(v, float | np.floating):
        if math.isnan(v):
            return "-"
        return f"{v:.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def headline(front: pd.DataFrame, spec: OptimizeSpec) -> str:
    side = SIDES[spec.side]
    best = cheapest_meeting(front, spec)
    if side.survival_sense == "max":
        aim = f"keeps the alliance alive with at least {spec.target:.0%} probability"
    else:
        aim = f"breaks the alliance with at least {spec.target:.0%} probability"
    where = (
        f"on at least {spec.robust_share:.0%} of {spec.validate_draws} fresh posterior draws"
        if spec.posterior
        else "(lower end of the 95% interval)"
        if side.survival_sense == "max"
        else "(upper end of the 95% interval)"
    )
    if best is None:
        return f"No point of the front {aim} {where}; widen the levers or search longer."
    cost = next((o for o in spec.objectives if o.endswith("_cost")), None)
    money = f", {OBJECTIVES[cost].label}: {best[cost]:,.1f}" if cost else ""
    return (
        f"Cheapest strategy of {side.name} that {aim} {where}: point {int(best['point'])} "
        f"(survival {best['survival']:.2f} [{best['survival_lo']:.2f}, "
        f"{best['survival_hi']:.2f}]{money}). Which uncertainty threatens it most, and its "
        f"scenario file: pax-silica optimize-point DIR {int(best['point'])} --write-scenario FILE"
    )


def plot_front(front: pd.DataFrame, spec: OptimizeSpec, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    others = [o for o in spec.objectives if o != "survival"]
    x = others[0] if others else "survival"
    colour = others[1] if len(others) > 1 else None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    err = [front["survival"] - front["survival_lo"], front["survival_hi"] - front["survival"]]
    ax.errorbar(front[x], front["survival"], yerr=err, fmt="none", ecolor="0.6", lw=1)
    sc = ax.scatter(
        front[x],
        front["survival"],
        zorder=3,
        **({"c": front[colour], "cmap": "viridis"} if colour else {"color": "tab:blue"}),
    )
    for _, r in front.iterrows():
        ax.annotate(
            str(int(r["point"])),
            (r[x], r["survival"]),
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
        )
    if colour:
        fig.colorbar(sc, ax=ax, label=OBJECTIVES[colour].label)
    goal = spec.target if SIDES[spec.side].survival_sense == "max" else 1 - spec.target
    ax.axhline(goal, color="tab:red", ls="--", lw=1, label=f"target {goal:.0%}")
    ax.set_xlabel(OBJECTIVES[x].label)
    ax.set_ylabel("survival to the horizon (fresh runs, 95% interval)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"Pareto front of {SIDES[spec.side].name}'s levers ({len(front)} points)")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))
    plt.close(fig)


# ---------------------------------------------------------------- command line -----
SPEC_FLAGS = (
    "scenario",
    "overrides",
    "steps",
    "side",
    "lever",
    "objectives",
    "population",
    "draws",
    "replications",
    "posterior",
    "no_posterior",
    "target",
    "robust_share",
    "seed",
    "validate",
)


def spec_from_args(args) -> OptimizeSpec:
    side = side_of(args.side or "us")
    spec = OptimizeSpec(side=side.key)
    if args.scenario is not None:
        s = args.scenario
        spec.scenario = str(Path(s).resolve()) if is_path(s) and Path(s).is_file() else s
    spec.set = list(args.overrides)
    spec.steps = args.steps
    spec.levers = parse_levers(args.lever, side)
    if args.objectives:
        spec.objectives = [o.strip() for o in args.objectives.split(",") if o.strip()]
    for k in ("population", "generations", "draws", "replications", "seed"):
        if getattr(args, k) is not None:
            setattr(spec, k, getattr(args, k))
    if args.no_posterior:
        if args.posterior:
            raise CliError("--no-posterior: not with --posterior")
        spec.posterior = None
        spec.validate_draws = 1
        if args.draws is None:
            spec.draws = 1
    elif args.posterior:
        spec.posterior = args.posterior
    if args.target is not None:
        spec.target = _share(args.target, "--target")
    if args.robust_share is not None:
        spec.robust_share = _share(args.robust_share, "--robust-share")
    if args.validate is not None:
        spec.validate_draws, spec.validate_replications = _validate_arg(args.validate)
    return spec


def register(sub, add_scenario_args) -> None:
    p = sub.add_parser(
        "optimize",
        help="search one side's levers for the Pareto front, robust to the posterior",
        description="A many-objective search (NSGA-II) over the levers of the US (or, with "
        "--as china, of China) for the Pareto front of survival to the horizon, cost and "
        "capital, each candidate run over posterior draws and seeds; the front is re-run on "
        "fresh seeds and written as a table and a plot.",
    )
    add_scenario_args(p)
    add_catalogue_arg(p)
    p.set_defaults(scenario=None)
    p.add_argument("--as", dest="side", metavar="us|china", help="whose levers (default us)")
    p.add_argument(
        "--lever",
        action="append",
        default=[],
        metavar="NAME[=LOW:HIGH|A,B]",
        help="a lever to search, over its search range or the one given (repeatable; "
        "default: every lever of the side)",
    )
    p.add_argument(
        "--objectives",
        metavar="A,B,...",
        help=f"of {', '.join(OBJECTIVES)} (default: us: survival,us_cost,capital; china: "
        "survival,china_cost)",
    )
    p.add_argument("--population", type=positive_int, help="candidates per generation (20)")
    p.add_argument("--generations", type=positive_int, help="generations (default 10)")
    p.add_argument("--draws", type=positive_int, help="posterior draws per candidate (5)")
    p.add_argument("--replications", type=positive_int, help="seeded runs per draw (4)")
    p.add_argument(
        "--posterior",
        metavar="NAME|FILE",
        help="the posterior the draws come from (default: default)",
    )
    p.add_argument(
        "--no-posterior", action="store_true", help="run at the parameters' defaults instead"
    )
    p.add_argument("--target", metavar="SHARE", help="survival to reach (US) or deny (0.8)")
    p.add_argument(
        "--robust-share",
        metavar="SHARE",
        help="share of draws on which the target must hold for the headline (0.9)",
    )
    p.add_argument("--validate", metavar="DxK", help="fresh draws x runs per front point (30x5)")
    p.add_argument("--seed", type=natural_int, help="master seed (default 0)")
    p.add_argument("--steps", type=positive_int, help="quarters per run (default: scenario's)")
    p.add_argument("--out", type=Path, help="a new (or empty) folder for the optimisation")
    p.add_argument("--resume", type=Path, metavar="DIR", help="continue the optimisation in DIR")
    p.add_argument("--workers", type=positive_int, help="worker processes (one per core)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="a running Dask scheduler")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--in-process", action="store_true", help="run every run here")
    where.add_argument("--local-cluster", action="store_true", help="run on a local Dask cluster")
    p.add_argument("--no-progress", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run)

    q = sub.add_parser(
        "optimize-point",
        help="show a point of an optimisation's front, what threatens it, as a scenario file",
    )
    q.add_argument("folder", type=Path, metavar="DIR", help="the --out folder of optimize")
    q.add_argument("point", type=natural_int, metavar="N", help="the point (front.csv's point)")
    q.add_argument("--write-scenario", type=Path, metavar="FILE", help="write it as FILE.toml")
    q.add_argument(
        "--threats",
        type=natural_int,
        default=200,
        metavar="RUNS",
        help="runs, each its own posterior draw, to rank the uncertain parameters by how "
        "much they threaten the point (default 200; 0: none)",
    )
    q.add_argument("--top", type=positive_int, default=5, help="parameters to show (5)")
    q.add_argument("--workers", type=positive_int, help="worker processes (one per core)")
    q.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="a running Dask scheduler")
    w2 = q.add_mutually_exclusive_group()
    w2.add_argument("--in-process", action="store_true", help="run every run here")
    w2.add_argument("--local-cluster", action="store_true", help="run on a local Dask cluster")
    q.set_defaults(func=run_point)


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise CliError(f"--out: {out} is a file; expected a new or empty folder")
    if out.is_dir() and any(p.name != LOCK for p in out.iterdir()):
        hint = f"; to continue it use --resume {out}" if (out / MANIFEST).exists() else ""
        raise CliError(f"--out: {out} is not empty; expected a new or empty folder{hint}")
    if not out.resolve().parent.is_dir():
        raise CliError(f"--out: the folder {out.resolve().parent} does not exist")
    out.mkdir(exist_ok=True)


def new_manifest(setup: Setup) -> dict:
    return {
        "format": FORMAT,
        "git": _git_commit(),
        "versions": {**_versions(), "pymoo": _pymoo_version()},
        "spec": setup.spec.to_dict(),
        "scenario": {"name": setup.scenario.name, "steps": setup.scenario.params["steps"]},
        "particles": setup.particles,
        "seed_rule": "run (draw d, replication k) takes model seed run_seed(seed, d, k) "
        "(experiments.design.run_seed) and the posterior's accepted set "
        "posterior.index(run_seed(seed, d, 0)); search draws are 0..draws-1 (every "
        "candidate), front point c's validation draws draws + c * validate_draws on "
        "(validate_draws of its own)",
        "status": "running",
        "generations_done": 0,
        "started_at": _now(),
        "finished_at": None,
        "sessions": [],
    }


def _pymoo_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("pymoo")
    except metadata.PackageNotFoundError:
        return None


def run(args) -> int:
    _check_scheduler(args)
    _check_where(args)
    if args.resume is not None:
        if args.out is not None:
            raise CliError("--out: not with --resume (it continues in its own folder)")
        given = [f for f in SPEC_FLAGS if getattr(args, f) not in (None, [], False)]
        if given:
            flag = "--" + ("as" if given[0] == "side" else given[0].replace("_", "-"))
            flag = "--set" if given[0] == "overrides" else flag
            raise CliError(
                f"{flag}: not with --resume (the optimisation's own settings are used; "
                "only --generations may grow)"
            )
        manifest = read_manifest(args.resume, "--resume")
        try:
            spec = OptimizeSpec.from_dict(manifest["spec"])
        except (KeyError, TypeError, ValueError) as e:
            raise CliError(
                f"--resume: {args.resume / MANIFEST} has no readable spec ({e})"
            ) from None
        if args.generations is not None:
            if args.generations < spec.generations:
                raise CliError(
                    f"--generations: the optimisation asked for {spec.generations}; expected "
                    "as many or more"
                )
            spec.generations = args.generations
        folder = args.resume
        setup = make_setup(spec)
        manifest["spec"] = spec.to_dict()
    else:
        if args.out is None:
            raise CliError("--out: missing; expected a new folder (or --resume DIR)")
        spec = spec_from_args(args)
        setup = make_setup(spec)
        _check_out(args.out)
        folder = args.out
        manifest = new_manifest(setup)
    with writing(folder, "--resume" if args.resume else "--out"):
        write_manifest(folder, manifest)
        n_runs = (
            spec.generations * spec.population * spec.runs_per_candidate
            + spec.population * spec.runs_per_validation
        )
        with executor_for(args, n_runs, setup.scenario.params["steps"]) as ex:
            return _go(setup, folder, ex, manifest, args)


def _go(setup: Setup, folder: Path, ex, manifest: dict, args) -> int:
    spec = setup.spec
    session = {
        "started_at": _now(),
        "finished_at": None,
        "runs_written": 0,
        "workers": ex.nthreads(),
        "scheduler": ex.where,
    }
    manifest["sessions"].append(session)
    manifest["status"] = "running"
    register_study("optimisation", folder, manifest, args)  # partial until it completes
    opt = Optimisation(setup, folder, ex, manifest, progress=not args.no_progress)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    restore = signal.signal(signal.SIGTERM, on_term)
    t0 = time.perf_counter()
    status = "interrupted"
    try:
        search(
            opt.evaluate,
            len(spec.levers),
            len(spec.objectives),
            spec.population,
            spec.generations,
            spec.seed,
            opt.on_generation,
        )
        front = opt.front()
        status = "complete"
    except KeyboardInterrupt:
        print(
            f"interrupted: {opt.before + opt.written:,} runs are in {folder}; continue with: "
            f"pax-silica optimize --resume {folder}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except CliError:
        status = "failed"
        raise
    except Exception as e:
        status = "failed"
        print(
            f"error: the optimisation stopped: {type(e).__name__}: {e}; continue with: "
            f"pax-silica optimize --resume {folder}",
            file=sys.stderr,
        )
        return 1
    finally:
        signal.signal(signal.SIGTERM, restore)
        session["finished_at"] = _now()
        session["runs_written"] = opt.written
        manifest["status"] = status
        if status == "complete":
            manifest["finished_at"] = session["finished_at"]
        with contextlib.suppress(OSError):
            write_manifest(folder, manifest)
        register_study("optimisation", folder, manifest, args)
    seconds = time.perf_counter() - t0
    _write_table(folder / f"{FRONT}.csv", front)
    _write_table(folder / f"{FRONT}.parquet", front)
    plot_front(front, spec, folder / f"{FRONT}.png")
    n_cand = opt.next_id
    print(
        f"Optimisation of {setup.side.name}'s levers ({', '.join(setup.names)}) on scenario "
        f"{setup.scenario.name!r}: {spec.generations} generations, {n_cand:,} candidates x "
        f"{spec.runs_per_candidate} runs ({spec.draws} draws x {spec.replications}); "
        f"{opt.written:,} runs now, {opt.before:,} already done, in {seconds:.1f} s "
        f"({ex.describe()})"
    )
    print(
        f"Front: {len(front)} points, each re-run on {spec.runs_per_validation} fresh runs "
        f"({spec.validate_draws} draws x {spec.validate_replications}); survival with its 95% "
        f"interval; robustness: share of draws meeting the target {spec.target:.0%}; regret: "
        "shortfall in survival from the best candidate per search draw"
    )
    print(_table(front[front_columns(spec)]))
    print(headline(front, spec).replace("DIR", str(folder)))
    print(f"Written: {folder / 'front.csv'}, {folder / 'front.parquet'}, {folder / 'front.png'}")
    return 0


# ---------------------------------------------------------------- optimize-point ----
def read_front(folder: Path) -> tuple[dict, OptimizeSpec, pd.DataFrame]:
    manifest = read_manifest(folder, f"DIR {folder}")
    path = folder / f"{FRONT}.parquet"
    if manifest.get("status") != "complete" or not path.is_file():
        raise CliError(
            f"DIR {folder}: the optimisation is not complete (no front yet); finish it "
            f"with pax-silica optimize --resume {folder}"
        )
    spec = OptimizeSpec.from_dict(manifest["spec"])
    return manifest, spec, pd.read_parquet(path)


def scenario_text(spec: OptimizeSpec, scen: Scenario, point: pd.Series, header: str) -> str:
    """The point as a scenario TOML: the optimised scenario (``extends``), its members as
    run, and the parameters the optimisation set: its ``--set`` and ``--steps`` and the
    point's levers."""
    base = load_scenario(spec.scenario)
    params = {k: v for k, v in scen.params.items() if base.params.get(k) != v}
    for v in spec.levers:
        params[v.name] = _plain(point[v.name])
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    name = f"{scen.name}_{spec.side}_point{int(point['point'])}"
    ext = spec.scenario if not is_path(spec.scenario) else str(Path(spec.scenario).resolve())
    lines += [
        f"name = {_toml_text(name)}",
        f"description = {_toml_text(scen.description + ' (optimised levers)')}",
        f"extends = {_toml_text(ext)}",
        f"members = {_toml_text(list(scen.members))}",
        f"participants = {_toml_text(list(scen.participants))}",
        "",
        "[parameters]",
    ]
    lines += [f"{k} = {_toml_text(_plain(v))}" for k, v in params.items()]
    return "\n".join(lines) + "\n"


def _toml_text(v: Any) -> str:
    """One TOML value: true/false, a number (round-tripping), a string, a list."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_text(x) for x in v) + "]"
    text = str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{text}"'


def threat_table(runs: pd.DataFrame, names: list[str], side: Side, top: int) -> pd.DataFrame | None:
    """Which uncertain parameters threaten the point most: Spearman's rank correlation of
    each with survival over the threat runs (each its own posterior draw), and survival in
    the fifth of the draws where the parameter is lowest and highest. A threat lowers
    survival for the US (raises it for China); ranked by the size of the correlation."""
    from scipy.stats import spearmanr

    y = runs["survived"].astype(float).to_numpy()
    if y.min() == y.max():
        return None
    rows = []
    for n in names:
        x = runs[n].to_numpy(dtype=float)
        if np.ptp(x) == 0:
            continue
        rho = float(spearmanr(x, y).statistic)
        lo, hi = np.quantile(x, [0.2, 0.8])
        rows.append(
            {
                "parameter": n,
                "rho": rho,
                "survival_low": float(y[x <= lo].mean()),
                "survival_high": float(y[x >= hi].mean()),
                "threat": f"{'higher' if (rho < 0) == (side.survival_sense == 'max') else 'lower'}"
                f" {n}",
            }
        )
    df = pd.DataFrame(rows)
    df = df.reindex(df["rho"].abs().sort_values(ascending=False).index).head(top)
    return df.reset_index(drop=True)


def run_point(args) -> int:
    _check_scheduler(args)
    _check_where(args)
    manifest, spec, front = read_front(args.folder)
    if args.point >= len(front):
        raise CliError(
            f"N: {args.point} is not a point of the front; expected 0-{len(front) - 1} "
            f"(front.csv in {args.folder})"
        )
    if args.write_scenario is not None:
        if args.write_scenario.suffix.lower() != ".toml":
            raise CliError(
                f"--write-scenario: expected a file ending in .toml, got {args.write_scenario}"
            )
        check_output("--write-scenario", args.write_scenario)
    setup = make_setup(spec)
    side = setup.side
    point = front.iloc[args.point]
    print(f"Point {args.point} of the front in {args.folder} ({side.name}'s levers):")
    for v in spec.levers:
        print(f"  {v.name} = {_cell(_plain(point[v.name]))}")
    print(
        f"  survival {point['survival']:.3f} [{point['survival_lo']:.3f}, "
        f"{point['survival_hi']:.3f}] over {int(point['runs'])} fresh runs; "
        + (
            f"robustness {point['robustness']:.2f} (target {spec.target:.0%}); worst regret "
            f"{point['max_regret']:.2f}; "
            if spec.posterior
            else ""
        )
        + f"US cost {point['us_cost']:,.1f} US$bn; China's coercion {point['china_cost']:,.1f}; "
        f"capital {point['capital']:,.1f} US$bn"
    )
    if args.threats and setup.posterior is not None:
        post = setup.posterior
        levers = {v.name: _plain(point[v.name]) for v in spec.levers}
        todo = []
        for i in range(args.threats):
            seed = run_seed(spec.seed, THREAT_DRAWS + i, 0)
            drawn = posterior_overrides(post, setup.scenario, seed)
            todo.append((i, 0, seed, {**drawn, **levers}, ""))
        names = sorted({k for t in todo for k in t[3]} - set(levers))
        for t in todo:  # every run records every drawn parameter
            for n in names:
                t[3].setdefault(n, setup.scenario.params[n])
        with executor_for(args, len(todo), setup.scenario.params["steps"]) as ex:
            frames: list[pd.DataFrame] = []
            size = ex.chunk_size(len(todo))
            chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
            tasks = (({"": setup.scenario}, c, names, False, None) for c in chunks)
            ex.map_chunks(run_chunk, tasks, lambda t, r: frames.append(r[0]))
        runs = pd.concat(frames, ignore_index=True)
        table = threat_table(runs, names, side, args.top)
        print(
            f"\nThreats: {args.threats} fresh runs, each its own posterior draw: survival "
            f"{runs['survived'].mean():.3f}. Uncertain parameters by rank correlation with "
            "survival (rho), and survival where the draws hold the lowest and highest fifth "
            "of each:"
        )
        if table is None:
            print("  every run ended alike; nothing to rank (run more with --threats)")
        else:
            print(_table(table))
            first = table.iloc[0]
            print(
                f"Threatens it most: {first['threat']} (survival {first['survival_low']:.2f} "
                f"in the lowest fifth of its draws, {first['survival_high']:.2f} in the "
                "highest)."
            )
    elif args.threats:
        print("\nThreats: the optimisation ran without a posterior; nothing to rank.")
    if args.write_scenario is not None:
        post = f" --posterior {spec.posterior}" if spec.posterior else ""
        header = (
            f"Point {args.point} of the front of `pax-silica optimize` in {args.folder}\n"
            f"({side.name}'s levers; survival {point['survival']:.3f} "
            f"[{point['survival_lo']:.3f}, {point['survival_hi']:.3f}] over "
            f"{int(point['runs'])} fresh runs{' with posterior ' + spec.posterior if post else ''}"
            f").\nRun it: pax-silica run --scenario FILE{post}; "
            f"pax-silica report --scenario FILE{post} --replications 100 --out DIR\n"
        )
        text = scenario_text(spec, setup.scenario, point, header)
        atomic_write(args.write_scenario, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        load_scenario(str(args.write_scenario))  # it loads, or this is a bug worth a traceback
        print(
            f"\nScenario written to {args.write_scenario}; run it with: pax-silica run "
            f"--scenario {args.write_scenario}{post}"
        )
    return 0
