"""``pax-silica calibrate``: the uncertain parameters calibrated to the 2025-26 record.

Likelihood-free: approximate Bayesian computation by sequential Monte Carlo (ABC-SMC,
pyabc). Each of the ``uncertain`` parameters of ``model/data/parameters.toml`` starts from
its prior (uniform over ``prior``, on a log scale where ``prior_scale = "log"``); each
simulation runs the calibration scenarios a few seeded times and reads every fitted target
of ``model/data/calibration/targets.toml`` (``model.observables``); particles whose
targets lie close to the record survive, and each generation tightens the tolerance.

Choices, and why (ODD 5.3):

* **Sampled on the logit of each parameter's place in its prior range.** The prior is the
  same (a uniform on the range is a standard logistic on its logit), but the perturbation
  kernel can no longer step outside the range: with 59 bounded parameters, a Gaussian
  kernel on the raw values proposes almost only points of prior density zero.
* **Distance in units of the record's own imprecision**: an L2 norm of each target's miss
  divided by how far its band reaches from the observed value (``band`` in targets.toml:
  "nearly tripled" is 2.5-3.2, no member leaving is at most 10% of runs). A distance of 1
  is a joint miss of about one band; fixed weights, so the distance means the same in every
  generation and every resumed run.
* **A median tolerance that falls past ties** (``FallingMedian``), and **a product of
  one-dimensional normal kernels** (pyabc's ``AggregatedTransition``): a full
  59-dimensional kernel left one or two particles with all the weight (an effective sample
  size of 2 of 100 after one generation).
* **Stopped** by the budget of simulations (``--simulations``), a tolerance
  (``--tolerance``) or, usually first, when the tolerance stops falling (``--min-fall``):
  the fitted targets are mostly shares of runs with an exit or an accession, so every
  parameter set that meets them sits at the same distance, and further generations only
  add weight variance.
* **A Morris screen first** (SALib): each parameter's mean effect on each target, written
  to ``screen.csv``; with ``--screen-threshold`` above 0 only the parameters that move a
  target that much are calibrated and the rest keep their prior.

Runs on Dask: a local cluster of ``--workers`` processes (as ``sweep --local-cluster``) or
``--scheduler tcp://HOST:PORT`` (pyabc's Dask sampler), or ``--in-process``. The SQLite
history (``--out``/history.db) is the calibration's record; ``--resume`` continues it.
The accepted particles are written as a posterior (``model.posterior``).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import logging
import math
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyabc

from experiments.args import CliError, whole_number
from experiments.catalogue import add_catalogue_arg, register_study
from model.observables import fitted, simulate
from model.params import ParamSpec, registry, uncertain
from model.posterior import Posterior, write_posterior

HISTORY = "history.db"


# --- the parameter space: logit of the place in the prior range --------------------------
def _place(spec: ParamSpec, x: float) -> float:
    lo, hi = spec.prior
    if spec.prior_scale == "log":
        return (math.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return (x - lo) / (hi - lo)


def to_logit(spec: ParamSpec, x: float) -> float:
    """A parameter's value as the logit of its place in its prior range."""
    u = min(max(_place(spec, x), 1e-9), 1 - 1e-9)
    return math.log(u / (1 - u))


def from_logit(spec: ParamSpec, z: float) -> float:
    """The value whose place in the prior range has logit ``z`` (the prior's own units)."""
    u = 1.0 / (1.0 + math.exp(-min(max(z, -700.0), 700.0)))
    lo, hi = spec.prior
    if spec.prior_scale == "log":
        x = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
    else:
        x = lo + u * (hi - lo)
    return float(min(max(x, lo), hi))


def natural(z: dict[str, float], names: list[str] | None = None) -> dict[str, Any]:
    """A particle in logit space as model parameters (whole numbers rounded)."""
    specs = registry()
    out: dict[str, Any] = {}
    for n in names or list(z):
        x = from_logit(specs[n], float(z[n]))
        out[n] = int(round(x)) if specs[n].type == "int" else x
    return out


def particle_seed(params: dict[str, Any], base: int) -> int:
    """A seed that is a function of the particle (and the calibration's seed): the same
    parameter set always meets the same runs, wherever and whenever it is evaluated."""
    text = repr((base, sorted(params.items())))
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")


class Simulator:
    """The calibration's model: logit particle -> each fitted target's simulated value.
    A plain picklable object, so Dask workers can run it."""

    def __init__(self, names: list[str], replications: int, seed: int, fixed: dict):
        self.names = names
        self.replications = replications
        self.seed = seed
        self.fixed = fixed  # parameters held at a given value (the synthetic-truth test)
        self.targets = tuple(fitted())

    def __call__(self, z: dict[str, float]) -> dict[str, float]:
        params = {**natural(z, self.names), **self.fixed}
        return simulate(params, particle_seed(params, self.seed), self.replications, self.targets)


def target_scales(targets) -> dict[str, float]:
    """How far each target's band reaches from its observed value (the distance's unit)."""
    return {t.name: max(t.band[1] - t.observed, t.observed - t.band[0], 1e-6) for t in targets}


def from_place(spec: ParamSpec, u: float) -> Any:
    """The value at place ``u`` (0-1) of a parameter's prior range, typed."""
    lo, hi = spec.prior
    if spec.prior_scale == "log":
        x = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
    else:
        x = lo + u * (hi - lo)
    return int(round(x)) if spec.type == "int" else float(x)


def _screen_point(task) -> dict[str, float]:
    params, seed, replications = task
    return simulate(params, seed, replications, fitted())


def screen(
    names: list[str], fixed: dict, trajectories: int, replications: int, seed: int, mapper=map
) -> dict[str, float]:
    """Which parameters the record can speak to: Morris elementary effects (SALib) of each
    parameter on every fitted target, in band units, over its whole prior range, every
    point of a trajectory on the same seeds (common random numbers). Returns each
    parameter's largest mean absolute effect (mu*) over the targets."""
    from SALib.analyze import morris as analyze
    from SALib.sample import morris as sample

    specs = registry()
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    X = sample.sample(problem, trajectories, num_levels=4, seed=seed)
    step = len(names) + 1
    tasks = [
        (
            {**{n: from_place(specs[n], u) for n, u in zip(names, row, strict=True)}, **fixed},
            seed + 1000 * (i // step),
            replications,
        )
        for i, row in enumerate(X)
    ]
    Y = list(mapper(_screen_point, tasks))
    scales = target_scales(fitted())
    effect = dict.fromkeys(names, 0.0)
    for t, unit in scales.items():
        y = np.array([v[t] for v in Y]) / unit
        if np.ptp(y) == 0:
            continue  # no parameter moves it (the price targets: set by a data parameter)
        mu = analyze.analyze(problem, X, y, num_levels=4, seed=seed)["mu_star"]
        for n, m in zip(names, mu, strict=True):
            effect[n] = max(effect[n], float(m))
    return effect


# --- progress --------------------------------------------------------------------------
class Progress(logging.Handler):
    """One line per generation from pyabc's own log: tolerance, acceptance, ESS, budget."""

    def __init__(self, budget: int, history_of, stream=None):
        super().__init__(logging.INFO)
        self.budget, self.history_of, self._stream = budget, history_of, stream
        self.t0 = time.perf_counter()
        self.eps = float("nan")
        self.generation = -1

    @property
    def stream(self):
        return self._stream or sys.stderr  # at the time of writing (tests capture it)

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if msg.startswith("t: "):
            parts = msg.rstrip(".").split(", eps: ")
            self.generation = int(parts[0][3:])
            self.eps = float(parts[1])
        elif msg.startswith("Calibration sample"):
            print("calibrate: sampling the prior to set the first tolerance", file=self.stream)
        elif msg.startswith("Accepted:"):
            rate = msg.split("=")[1].split(",")[0].strip()
            ess = msg.split("ESS:")[1].strip().rstrip(".")
            done = self.history_of().total_nr_simulations
            el = time.perf_counter() - self.t0
            print(
                f"calibrate: generation {self.generation}: tolerance {self.eps:.3g}, "
                f"acceptance {float(rate):.1%}, ESS {float(ess):.0f}, "
                f"{done}/{self.budget} simulations, {el:.0f} s",
                file=self.stream,
                flush=True,
            )


@contextlib.contextmanager
def _progress_instead_of_pyabc_log(handler: logging.Handler | None):
    """pyabc's own log lines (its handlers on "ABC" and below) give way to ``handler``'s
    one line per generation (or to nothing); they are put back afterwards."""
    saved = {
        name: (list(lg.handlers), lg.propagate, lg.level)
        for name, lg in logging.root.manager.loggerDict.items()
        if isinstance(lg, logging.Logger) and (name == "ABC" or name.startswith("ABC."))
    }
    for name in saved:
        logging.getLogger(name).handlers = []
    top = logging.getLogger("ABC")
    top.propagate = False
    if handler is not None:
        top.addHandler(handler)
        top.setLevel(logging.INFO)
    try:
        yield
    finally:
        for name, (handlers, propagate, level) in saved.items():
            lg = logging.getLogger(name)
            lg.handlers, lg.propagate = handlers, propagate
            lg.setLevel(level)


# --- the command -------------------------------------------------------------------------
SCREEN = "screen.csv"


class FallingMedian(pyabc.QuantileEpsilon):
    """pyabc's median tolerance, made to fall past ties. Most targets are shares of a few
    runs (0, 1/8, ...), so many particles sit at exactly the same distance; when the median
    lands on such a tie the tolerance would stay put for ever. It then drops to the largest
    distance strictly below the last tolerance, provided at least ``min_share`` of the
    population lies below it (a generation's acceptance is about that share: one particle
    in 3,000 below a tie would ask for millions of simulations, and pyabc's Dask sampler
    does not stop a generation at the budget). Otherwise the tolerance stays and the run
    stops (``--min-fall``): the targets are met as far as the model can meet them."""

    def __init__(self, min_share: float = 0.05):
        super().__init__(alpha=0.5)
        self.min_share = min_share

    def _update(self, t: int, weighted_distances) -> None:
        super()._update(t, weighted_distances)
        before = self._look_up.get(t - 1)
        if before is None or self._look_up[t] < before:
            return
        d = weighted_distances.distance.to_numpy()
        below = d[d < before]
        if below.size and below.size >= self.min_share * d.size:
            self._look_up[t] = float(below.max())


def calibrate(args, observed: dict[str, float] | None = None) -> Path:
    """Run (or ``--resume``) a calibration as ``args`` say; return the posterior's path.
    ``observed``: values to calibrate to instead of the record's (the synthetic-truth
    test: values the model itself simulated at known parameters)."""

    out = Path(args.out)
    db = out / HISTORY
    if args.resume and not (db.is_file() and (out / SCREEN).is_file()):
        raise CliError(f"--resume: no calibration history at {db}; run without --resume first")
    if not args.resume and db.exists():
        raise CliError(
            f"--out: {out} already holds a calibration ({db}); --resume it or choose another"
        )
    fixed = dict(args.fixed or {})
    free = [s.name for s in uncertain() if s.name not in fixed]
    targets = fitted()
    observed = observed or {t.name: t.observed for t in targets}
    np.random.seed(args.seed)  # pyabc draws from numpy's global stream
    with _sampler(args) as (sampler, where, mapper):
        if args.resume:
            effect = _read_screen(out / SCREEN)
        else:
            print(
                f"calibrate: screening {len(free)} uncertain parameters on {len(targets)} "
                f"fitted targets ({(len(free) + 1) * args.screen_trajectories} simulations, "
                f"on {where})",
                file=sys.stderr,
                flush=True,
            )
            effect = screen(
                free, fixed, args.screen_trajectories, args.replications, args.seed, mapper
            )
            out.mkdir(parents=True, exist_ok=True)
            _write_screen(out / SCREEN, effect, args.screen_threshold)
        names = [n for n in free if effect.get(n, 0.0) >= args.screen_threshold]
        if not names:
            raise CliError(
                f"--screen-threshold: no parameter moves a target by {args.screen_threshold} "
                "band units; expected a lower threshold"
            )
        prior = pyabc.Distribution(**{n: pyabc.RV("logistic", 0.0, 1.0) for n in names})
        model = Simulator(names, args.replications, args.seed, fixed)
        distance = pyabc.PNormDistance(
            p=2, fixed_weights={k: 1.0 / v for k, v in target_scales(targets).items()}
        )
        abc = pyabc.ABCSMC(
            model,
            prior,
            distance,
            population_size=args.population,
            sampler=sampler,
            eps=FallingMedian(),
            transitions=pyabc.AggregatedTransition(
                {n: pyabc.MultivariateNormalTransition() for n in names}
            ),
        )
        with _progress_instead_of_pyabc_log(None):
            if args.resume:
                abc.load(f"sqlite:///{db}")
            else:
                abc.new(f"sqlite:///{db}", observed)
        done = abc.history.total_nr_simulations if args.resume else 0
        budget = args.simulations
        if done >= budget:
            raise CliError(
                f"--simulations: the history already holds {done} simulations; "
                "expected a budget above that to go on"
            )
        print(
            f"calibrate: {len(names)} of {len(free)} uncertain parameters calibrated (the "
            f"rest move no target by {args.screen_threshold} band units and keep their "
            f"prior), {len(targets)} fitted targets, population {args.population}, "
            f"{args.replications} runs per scenario and simulation, budget {budget} "
            f"simulations, on {where}" + (f" (resuming after {done})" if args.resume else ""),
            file=sys.stderr,
            flush=True,
        )
        t = time.perf_counter()
        with _progress_instead_of_pyabc_log(Progress(budget, lambda: abc.history)):
            history = abc.run(
                minimum_epsilon=args.tolerance,
                max_nr_populations=args.generations,
                max_total_nr_simulations=budget,
                min_eps_diff=args.min_fall,
            )
        seconds = time.perf_counter() - t
    post = posterior_of(history, names, [n for n in free if n not in names], fixed, args, seconds)
    path = out / "posterior.csv"
    write_posterior(post, path)
    register_study("calibration", out, calibration_manifest(post, path), args)
    print(
        f"calibrate: {history.total_nr_simulations} simulations in {history.max_t + 1} "
        f"generations ({seconds:.0f} s this session); tolerance "
        f"{post.provenance['tolerance']:.3g}; posterior of {len(post)} particles "
        f"(ESS {post.ess():.0f}) -> {path}"
    )
    return path


def calibration_manifest(post: Posterior, path: Path) -> dict:
    """What the catalogue keeps of a calibration: its posterior and the provenance."""
    return {
        "format": "pax-silica-calibration/1",
        "scenario": "calibration scenarios",
        "posterior": str(path.absolute()),
        "provenance": post.provenance,
        "status": "complete",
    }


def _write_screen(path: Path, effect: dict[str, float], threshold: float) -> None:
    from model.files import atomic_write

    lines = ["parameter,mu_star_band_units,calibrated"]
    lines += [f"{n},{e!r},{str(e >= threshold).lower()}" for n, e in effect.items()]
    atomic_write(path, lambda p: p.write_text("\n".join(lines) + "\n", encoding="utf-8"))


def _read_screen(path: Path) -> dict[str, float]:
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    return {r.split(",")[0]: float(r.split(",")[1]) for r in rows if r}


def posterior_of(history, names, from_prior, fixed, args, seconds: float) -> Posterior:
    """The particles of the first generation that reached the final tolerance, back in the
    parameters' own units, with their provenance. Parameters the screen left out are
    drawn from their prior for each particle (their posterior, as far as the record can
    tell); fixed ones keep their value."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    tolerance = float(pops["epsilon"].min())
    # The first generation to reach the final tolerance: a later one at the same tolerance
    # aims at the same posterior with more variance in its weights.
    t = int(pops[pops["epsilon"] <= tolerance]["t"].min())
    df, w = history.get_distribution(m=0, t=t)
    specs = registry()
    rng = np.random.default_rng([args.seed, len(df)])
    columns = {n: [from_logit(specs[n], z) for z in df[n].to_numpy()] for n in names}
    for n in from_prior:
        columns[n] = [from_place(specs[n], u) for u in rng.uniform(size=len(df))]
    for n, v in fixed.items():
        columns[n] = [v] * len(df)
    order = [s.name for s in uncertain() if s.name in columns]
    values = np.array([columns[n] for n in order], dtype=float).T
    prov = {
        "version": _version(),
        "commit": _commit(),
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "targets": [t.name for t in fitted()],
        "population": int(len(df)),
        "generations": int(history.max_t + 1),
        "generation": t,
        "tolerance": tolerance,
        "simulations": int(history.total_nr_simulations),
        "history": str(Path(args.out) / HISTORY),
        "method": "ABC-SMC (pyabc): logit-scaled uniform priors, product of 1-D normal "
        "kernels, median tolerance falling past ties, L2 distance in units of each "
        "target's band, stopped when the tolerance stops falling",
        "calibrated": list(names),
        "from_prior": list(from_prior),
        "fixed": [f"{k}={v}" for k, v in sorted(fixed.items())],
        "replications": int(args.replications),
        "seed": int(args.seed),
        "seconds": round(seconds, 1),
    }
    return Posterior(
        names=tuple(order), values=values, weights=np.asarray(w) / np.sum(w), provenance=prov
    )


class _sampler:
    """The pyabc sampler for the chosen execution: in process, a local Dask cluster, or a
    running scheduler (the same ``Executor`` as sweeps)."""

    def __init__(self, args):
        self.args = args
        self.executor = None

    def __enter__(self):
        if self.args.in_process:
            return pyabc.sampler.SingleCoreSampler(), "this process", map
        from experiments.sweep import Executor

        self.executor = Executor(self.args.scheduler, self.args.workers).__enter__()
        sampler = pyabc.sampler.DaskDistributedSampler(
            dask_client=self.executor.client, batch_size=self.args.batch
        )
        client = self.executor.client

        def mapper(fn, tasks):
            return client.gather(client.map(fn, list(tasks), pure=False))

        return sampler, self.executor.describe(), mapper

    def __exit__(self, *exc):
        if self.executor is not None:
            self.executor.close()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pax-silica")
    except PackageNotFoundError:
        return "unknown"


def _commit() -> str:
    try:
        r = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            timeout=10,
        )
        return r.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


# --- arguments ---------------------------------------------------------------------------
def _at_least(low: float):
    """An argparse type: a finite number of at least ``low``, with one clear message."""

    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not (math.isfinite(v) and v >= low):
            raise argparse.ArgumentTypeError(f"expected a number of at least {low}, got {text}")
        return v

    return parse


def _fixed(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    spec = registry().get(name.strip())
    if not sep or spec is None or spec.tag != "uncertain":
        raise argparse.ArgumentTypeError(
            f"expected NAME=VALUE with NAME an uncertain parameter; got {text!r}"
        )
    try:
        v = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: expected a number; got {value!r}") from None
    lo, hi = spec.prior
    if not lo <= v <= hi:
        raise argparse.ArgumentTypeError(f"{name}: expected a value in [{lo}, {hi}] (its prior)")
    return name.strip(), int(v) if spec.type == "int" else v


def register(sub, add_scenario_args) -> None:  # noqa: ARG001  (no scenario: the record's)
    p = sub.add_parser(
        "calibrate",
        help="calibrate the uncertain parameters to the 2025-26 record (ABC-SMC)",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--out", default="calibration", help="folder of the history and posterior")
    p.add_argument(
        "--simulations",
        type=whole_number(10),
        default=10_000,
        help="budget of simulations in all (default 10000)",
    )
    p.add_argument(
        "--population",
        type=whole_number(10),
        default=3000,
        help="particles per generation (default 3000: with the record's targets met after "
        "two generations, about 11,000 simulations)",
    )
    p.add_argument(
        "--generations",
        type=whole_number(1),
        default=1000,
        help="at most this many generations (default: until the budget)",
    )
    p.add_argument(
        "--tolerance",
        type=_at_least(0.0),
        default=0.0,
        help="stop when the tolerance falls to this (default 0: only the budget)",
    )
    p.add_argument(
        "--min-fall",
        type=_at_least(0.0),
        default=1e-3,
        help="stop when the tolerance falls by less than this in a generation (default "
        "0.001 band units: the record's targets are met as far as the model can)",
    )
    p.add_argument(
        "--replications",
        type=whole_number(1),
        default=8,
        help="seeded runs of each calibration scenario per simulation (default 8)",
    )
    p.add_argument(
        "--screen-trajectories",
        type=whole_number(2),
        default=8,
        help="Morris trajectories of the screen (default 8)",
    )
    p.add_argument(
        "--screen-threshold",
        type=_at_least(0.0),
        default=0.0,
        help="calibrate only the parameters whose mean effect on some target reaches this "
        "many band units; the rest keep their prior (default 0: calibrate all)",
    )
    p.add_argument("--seed", type=int, default=0, help="the calibration's seed (default 0)")
    p.add_argument("--resume", action="store_true", help="continue the history in --out")
    p.add_argument(
        "--fix",
        dest="fixed",
        type=_fixed,
        action="append",
        metavar="NAME=VALUE",
        help="hold an uncertain parameter at a value (repeatable)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="a running Dask scheduler, tcp://HOST:PORT")
    where.add_argument("--in-process", action="store_true", help="no Dask: this process only")
    p.add_argument("--workers", type=whole_number(1), help="local cluster workers")
    p.add_argument(
        "--batch",
        type=whole_number(1),
        default=10,
        help="simulations per Dask task (default 10)",
    )
    add_catalogue_arg(p)
    p.set_defaults(func=_main)


def _main(args) -> int:
    if args.scheduler and args.workers:
        raise CliError("--workers: not with --scheduler (the scheduler has its own workers)")
    calibrate(args)
    return 0
