"""``pax-silica claims``: the paper's claims C1-C6 and the calibration targets re-tested
over the posterior, not at one point (issue 13, point 4).

For each of ``--draws`` K posterior draws (draw ``k`` has the seed ``seed * 10000 + k``,
which picks its particle by weight, ``model.posterior``), every arm of every entry of the
ledger (``model/data/claims.toml``: a dose of the cause, or one preset of a pair) is run
``--reps`` times with the same seeds and the same drawn parameters, the cause set
explicitly (``model.claims.run_draw``): common random numbers, so the arms differ in the
cause alone. Per draw, the effect is the mean outcome at the last arm minus at the first
(highest dose minus lowest, treated minus control). Over draws:

* the effect size is the mean of the per-draw effects, with a 95% percentile interval from
  a cluster bootstrap over draws (a draw and all its runs resampled together);
* the test is a one-sided sign-flip randomisation test of the per-draw effects in the
  paper's direction (under "the cause does nothing" the two ends of a draw are
  exchangeable, so each per-draw effect is as likely negative as positive);
* the verdict: "holds" if the interval excludes 0 in the paper's direction, "fails" if it
  excludes 0 the other way, "not shown" if it covers 0;
* the draws whose effect goes the wrong way: where they are at least 5% of the draws, PRIM
  (``experiments.analyze.prim``, as ``analyze discover``) on the uncertain parameters of
  the draws finds the box of the posterior where they concentrate.

C1-C3 come from the table code (``model.claims.table_check``), which reads no uncertain
parameter, so they are the same at every draw. Every calibration target (fitted and held
out) is simulated with each draw's parameters (``model.observables.simulate``): the
posterior predictive median and 90% interval against the record's band.

Writes ``--out`` (default ``claims/``, whole or not at all): ``claims.md``, one PNG per
claim, ``calibration.png`` and ``results.json`` (everything, with provenance).
``--write-docs`` also writes ``docs/validation/`` and ``docs/VALIDATION.md``, which a test
keeps in step with the ledger, the targets and the posterior.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from experiments.args import CliError, natural_int, whole_number
from model.claims import (
    LEDGER_FILE,
    MAX_REPS,
    Entry,
    drawn_values,
    file_hash,
    ledger,
    run_draw,
    scenario_sets,
    table_check,
)
from model.files import atomic_write, write_bytes
from model.observables import TARGETS_FILE, targets
from model.posterior import Posterior, PosteriorError, load_posterior, provenance_path

ROOT = Path(__file__).resolve().parent.parent
DOCS_DIR = ROOT / "docs" / "validation"
DOCS_RESULTS = DOCS_DIR / "results.json"
VALIDATION_MD = ROOT / "docs" / "VALIDATION.md"
FORMAT = "pax-silica-claims/1"

DRAWS = 100
REPS = 4
CALIBRATION_REPS = 8  # as `pax-silica calibrate` simulates each particle
BOOTSTRAP = 2000
PERMUTATIONS = 9999
WRONG_WAY_SHARE = 0.05  # PRIM looks for where a claim fails above this share of draws
MAX_LIMITS = 3  # a PRIM box is reported with at most this many restricting limits
WRONG_WAY_MIN = 5  # ... and this many draws: a box around one or two draws is no region
SEED_STRIDE = 10_000  # draw k of --seed s has the seed s * 10000 + k
OUTCOME_WORDS = {
    "event_observed": "collapse share",
    "final_capital_committed": "capital committed (US$bn)",
    "time_to_collapse": "quarters to collapse",
    "final_members": "members at the end",
}


def draw_seeds(seed: int, draws: int) -> list[int]:
    """The seed of each posterior draw (its particle and its runs' seeds follow)."""
    return [seed * SEED_STRIDE + k for k in range(draws)]


# ------------------------------------------------------------------ statistics -------
def sign_flip_p(x: np.ndarray, rng: np.random.Generator, n: int = PERMUTATIONS) -> float:
    """One-sided p-value of mean(x) > 0 by random sign flips of the paired differences
    ``x`` (with the observed one counted: never 0)."""
    x = np.asarray(x, dtype=float)
    t = x.mean()
    flips = rng.choice(np.array([-1.0, 1.0]), size=(n, x.size))
    null = (flips * x).mean(axis=1)
    return float((1 + np.sum(null >= t - 1e-12)) / (n + 1))


def verdict_of(lo: float, hi: float, sign: int) -> str:
    """holds (the interval excludes 0 in the paper's direction), fails (the other way) or
    not shown (it covers 0)."""
    if sign * lo > 0 and sign * hi > 0:
        return "holds"
    if sign * lo < 0 and sign * hi < 0:
        return "fails"
    return "not shown"


def effect_summary(
    per_draw: np.ndarray,
    sign: int,
    rng: np.random.Generator,
    boot: int = BOOTSTRAP,
    perms: int = PERMUTATIONS,
) -> dict[str, Any]:
    """The statistics of one entry from ``per_draw`` (draws x arms: each draw's mean
    outcome in each arm): the effect (last arm minus first) with its cluster-bootstrap
    95% interval, the sign-flip p-value in the paper's direction ``sign``, the verdict,
    the mean curve over arms with its 95% band, and the per-draw effects."""
    per_draw = np.asarray(per_draw, dtype=float)
    k = per_draw.shape[0]
    e = per_draw[:, -1] - per_draw[:, 0]
    idx = rng.integers(0, k, size=(boot, k))
    boots = e[idx].mean(axis=1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    curves = per_draw[idx].mean(axis=1)  # boot x arms
    band = np.percentile(curves, [2.5, 97.5], axis=0)
    return {
        "effect": float(e.mean()),
        "ci95": [float(lo), float(hi)],
        "p": sign_flip_p(sign * e, rng, perms),
        "verdict": verdict_of(float(lo), float(hi), sign),
        "curve": per_draw.mean(axis=0).tolist(),
        "band95": [band[0].tolist(), band[1].tolist()],
        "per_draw": e.tolist(),
        "wrong_way": (sign * e < 0).tolist(),
        "wrong_way_share": float(np.mean(sign * e < 0)),
        "right_way_share": float(np.mean(sign * e > 0)),
    }


def where_fails(
    X, wrong: np.ndarray, min_share: float = WRONG_WAY_SHARE, min_n: int = WRONG_WAY_MIN
) -> dict[str, Any]:
    """PRIM's box (``experiments.analyze``) of the draws where the effect goes the wrong
    way, over the uncertain parameters ``X`` (a DataFrame, draws x parameters), if they
    are at least ``min_share`` of the draws and ``min_n`` in number; the box's
    restricting limits, coverage, density and support, and the base rate to judge the
    density by."""
    from scipy.stats import binomtest

    from experiments.analyze import choose_box, prim

    wrong = np.asarray(wrong, dtype=bool)
    share = float(wrong.mean()) if wrong.size else 0.0
    out: dict[str, Any] = {"wrong_way_share": share, "box": None}
    if share < min_share:
        out["reason"] = f"wrong way in fewer than {min_share:.0%} of draws"
        return out
    if wrong.sum() < min_n:
        out["reason"] = f"wrong way in fewer than {min_n} draws: too few to locate"
        return out
    if wrong.all():
        out["reason"] = "wrong way at every draw: no part of the posterior is spared"
        return out
    varying = [c for c in X.columns if X[c].nunique() > 1]
    if not varying:
        out["reason"] = "the draws do not vary in any uncertain parameter"
        return out
    traj = prim(X[varying], wrong, alpha=0.05, min_support=0.05)
    full = traj[0].limits
    # A box a reader can read, and not one fitted to a handful of draws in 59 dimensions:
    # the boxes of the peeling trajectory with at most MAX_LIMITS limits, chosen among as
    # ``analyze discover`` chooses (coverage at least 0.5, density within one SE of best).
    short = [b for b in traj if len(b.restricted(full)) <= MAX_LIMITS]
    best = choose_box(short, 0.5)
    limits = best.restricted(full)
    hits = round(best.density * best.n)
    out["box"] = {
        "limits": {k: [float(v[0]), float(v[1])] for k, v in sorted(limits.items())},
        "coverage": float(best.coverage),
        "density": float(best.density),
        "support": float(best.support),
        "n": int(best.n),
        "wrong_way_draws": int(wrong.sum()),
        # the chance of so many wrong-way draws in a box of that size at the base rate
        # (binomial, one-sided): optimistic, since PRIM chose the box on these draws
        "p_binomial": float(binomtest(hits, best.n, share, alternative="greater").pvalue),
    }
    return out


# ------------------------------------------------------------------- the run ----------
def select(only: str | None) -> tuple[list[Entry], bool]:
    """The entries ``--only`` names (ids or claims, e.g. ``C6a,C5`` or ``C4``), and whether
    the calibration fit (``fit``) is asked for; every entry and the fit without it."""
    entries = list(ledger())
    if not only:
        return entries, True
    words = [w.strip() for w in only.split(",") if w.strip()]
    if not words:
        raise CliError("--only: expected entry ids, claims or 'fit', comma-separated")
    ids = {e.id for e in entries} | {e.claim for e in entries}
    for w in words:
        if w not in ids and w != "fit":
            known = ", ".join(e.id for e in entries)
            raise CliError(f"--only: unknown entry {w!r}; expected one of {known} or 'fit'")
    chosen = [e for e in entries if e.id in words or e.claim in words]
    return chosen, "fit" in words


def run_claims(
    entries: list[Entry],
    post: Posterior,
    seed: int,
    draws: int,
    reps: int,
    calibration: bool,
    executor,
    calibration_reps: int = CALIBRATION_REPS,
    progress=None,
) -> dict[str, Any]:
    """Run every draw (one task each) and return the raw outcomes: per arm key, draws x
    reps arrays of each outcome; per target, each draw's simulated value."""
    arms = {a.key: a for e in entries for a in e.arms()}
    seeds = draw_seeds(seed, draws)
    cal = calibration_reps if calibration else 0
    tasks = [(list(arms.values()), post, s, reps, cal) for s in seeds]
    by_seed: dict[int, dict] = {}

    def on_result(task, result):
        by_seed[task[2]] = result
        if progress is not None:
            progress.update(len(arms) * reps)

    executor.map_chunks(run_draw, tasks, on_result)
    results = [by_seed[s] for s in seeds]
    raw_arms = {
        key: {o: np.array([r["arms"][key][o] for r in results]) for o in results[0]["arms"][key]}
        for key in arms
    }
    raw_targets = {}
    if cal:
        raw_targets = {
            t: np.array([r["targets"][t] for r in results]) for t in results[0]["targets"]
        }
    return {"seeds": seeds, "arms": raw_arms, "targets": raw_targets}


def analyse(entries: list[Entry], raw: dict, post: Posterior, seed: int) -> list[dict]:
    """Each entry's statistics from the raw outcomes of ``run_claims`` (C1-C3 from the
    table code)."""
    import pandas as pd

    out = []
    X_all = pd.DataFrame(drawn_values(post, raw["seeds"]), columns=list(post.names))
    for e in entries:
        row: dict[str, Any] = {"id": e.id, "claim": e.claim, "role": e.role, "kind": e.kind}
        row["words"], row["statistic"], row["note"] = e.words, e.statistic, e.note
        if e.kind == "table":
            t = table_check(e.check)
            deterministic = not t["uncertain_read"]
            row["result"] = {
                **t,
                "verdict": ("holds" if t["holds"] else "fails")
                + (" at every posterior draw (deterministic, data only)" if deterministic else ""),
                "test": "the table code (model.table) on the data",
            }
            out.append(row)
            continue
        row.update(
            outcome=e.outcome,
            expected=e.expected,
            cause=e.cause or f"{e.control} -> {e.treated}",
            arms=[a.key for a in e.arms()],
            labels=e.labels(),
            condition=e.condition,
            differs_in=list(e.differs_in),
        )
        per_draw = np.stack([raw["arms"][a.key][e.outcome].mean(axis=1) for a in e.arms()], axis=1)
        rng = np.random.default_rng([seed, zlib.crc32(e.id.encode())])
        stats = effect_summary(per_draw, e.sign, rng)
        stats["test"] = "sign-flip randomisation test over draws, one-sided"
        drop = scenario_sets(e)
        X = X_all[[c for c in X_all.columns if c not in drop]]
        stats["where_fails"] = where_fails(X, np.array(stats["wrong_way"]))
        row["result"] = stats
        out.append(row)
    return out


def calibration_fit(raw: dict) -> dict[str, Any]:
    """Every target's observed value and band against its posterior predictive median and
    90% interval over the draws, and the plain verdicts."""
    rows = []
    for t in targets():
        if t.name not in raw["targets"]:
            continue
        v = raw["targets"][t.name]
        q05, med, q95 = (float(x) for x in np.percentile(v, [5, 50, 95]))
        inside = np.array([t.matches(float(x)) for x in v])
        rows.append(
            {
                "name": t.name,
                "scenario": t.scenario,
                "observable": t.observable,
                "quarter": t.quarter,
                "held_out": t.held_out,
                "observed": t.observed,
                "band": list(t.band),
                "median": med,
                "interval90": [q05, q95],
                "share_in_band": float(inside.mean()),
                "met": t.matches(med),
                "source": t.source,
            }
        )
    return {"targets": rows, "verdict": calibration_verdict(rows)}


def calibration_verdict(rows: list[dict]) -> str:
    """The overall verdict in plain words, from the numbers alone."""
    if not rows:
        return "No calibration target was simulated."
    parts = []
    for held, what in ((False, "fitted"), (True, "held-out")):
        mine = [r for r in rows if r["held_out"] is held]
        if not mine:
            continue
        met = [r["name"] for r in mine if r["met"]]
        missed = [r for r in mine if not r["met"]]
        s = (
            f"{len(met)} of {len(mine)} {what} targets have their posterior predictive "
            "median in the band"
        )
        if met:
            s += f" ({', '.join(met)})"
        if missed:
            never = [r["name"] for r in missed if r["share_in_band"] == 0]
            some = [r for r in missed if r["share_in_band"] > 0]
            bits = []
            if never:
                bits.append(f"missed at every draw: {', '.join(never)}")
            if some:
                bits.append(
                    "missed at the median: "
                    + ", ".join(
                        f"{r['name']} (in band at {r['share_in_band']:.0%} of draws)" for r in some
                    )
                )
            s += "; " + "; ".join(bits)
        parts.append(s + ".")
    return " ".join(parts)


def posterior_summary(post: Posterior) -> list[dict[str, Any]]:
    """Each uncertain parameter's prior range and weighted posterior quantiles (5%, 50%,
    95%), and where the median sits in the prior (0 its low end, 1 its high end, on the
    prior's own scale), most shifted from the prior's middle first."""
    from model.params import registry

    specs = registry()
    rows = []
    for n in post.names:
        spec = specs[n]
        lo, hi = spec.prior
        q05, q50, q95 = post.quantiles(n)
        if spec.prior_scale == "log":
            place = (math.log(q50) - math.log(lo)) / (math.log(hi) - math.log(lo))
        else:
            place = (q50 - lo) / (hi - lo)
        rows.append(
            {
                "name": n,
                "prior": [lo, hi],
                "scale": spec.prior_scale,
                "q05": q05,
                "median": q50,
                "q95": q95,
                "median_place": place,
            }
        )
    rows.sort(key=lambda r: (-abs(r["median_place"] - 0.5), r["name"]))
    return rows


def posterior_table(rows: list[dict]) -> str:
    head = (
        "| parameter | prior | posterior 5% | median | 95% | median's place in the prior |\n"
        "|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| `{r['name']}` | [{r['prior'][0]:g}, {r['prior'][1]:g}]"
        + (" (log)" if r["scale"] == "log" else "")
        + f" | {r['q05']:.3g} | {r['median']:.3g} | {r['q95']:.3g} | {r['median_place']:.2f} |"
        for r in rows
    ]
    return head + "\n".join(lines) + "\n"


# ------------------------------------------------------------------ provenance --------
def _commit() -> dict[str, Any]:
    from experiments.sweep import _git_commit

    return _git_commit()


def _rel(p: Path | None) -> str | None:
    if p is None:
        return None
    try:
        return str(Path(p).resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def provenance(post: Posterior, name: str, args, entries, calibration: bool) -> dict[str, Any]:
    seeds = draw_seeds(args.seed, args.draws)
    return {
        "format": FORMAT,
        "git": _commit(),
        "ledger": {"file": _rel(LEDGER_FILE), "sha256": file_hash(LEDGER_FILE)},
        "targets": {"file": _rel(TARGETS_FILE), "sha256": file_hash(TARGETS_FILE)},
        "posterior": {
            "name": name,
            "file": _rel(post.path),
            "csv_sha256": file_hash(post.path) if post.path else None,
            "toml_sha256": file_hash(provenance_path(post.path)) if post.path else None,
            "particles": len(post),
            "ess": round(post.ess(), 1),
            "provenance": {k: _plain(v) for k, v in post.provenance.items()},
        },
        "seed": args.seed,
        "draws": args.draws,
        "reps": args.reps,
        "calibration_reps": CALIBRATION_REPS if calibration else 0,
        "bootstrap": BOOTSTRAP,
        "permutations": PERMUTATIONS,
        "draw_seeds": [seeds[0], seeds[-1]],
        "seed_rule": (
            f"draw k has seed {args.seed} * {SEED_STRIDE} + k (its particle: "
            f"Posterior.index(seed)); its runs have seeds seed * {MAX_REPS} + r, r < reps, the "
            "same in every arm; calibration targets are simulated with seeds "
            f"seed * {MAX_REPS} + r, r < calibration_reps"
        ),
        "entries": [e.id for e in entries],
        "calibration": calibration,
    }


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, int | float | str | bool) or v is None:
        return v
    return str(v)


# ------------------------------------------------------------------ the report --------
def _num(x: float, outcome: str) -> str:
    if outcome in ("final_capital_committed", "time_to_collapse", "final_members"):
        return f"{x:+.1f}"
    return f"{x:+.3f}"


def _pval(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def where_text(r: dict) -> str:
    """The 'where it fails' cell of an entry."""
    res = r["result"]
    if r["kind"] == "table":
        return "nowhere" if res["holds"] else "everywhere"
    w = res["where_fails"]
    share = w["wrong_way_share"]
    if w["box"] is None:
        small = share < WRONG_WAY_SHARE
        return f"wrong way at {share:.0%} of draws" + ("" if small else f" ({w['reason']})")
    b = w["box"]
    if not b["limits"]:
        return (
            f"wrong way at {share:.0%} of draws ({b['wrong_way_draws']}); PRIM finds no "
            "region of the posterior where they concentrate"
        )
    lim = "; ".join(f"`{k}` in [{lo:.3g}, {hi:.3g}]" for k, (lo, hi) in b["limits"].items())
    return (
        f"wrong way at {share:.0%} of draws ({b['wrong_way_draws']}); PRIM box "
        f"{lim or '(no restriction)'}: coverage {b['coverage']:.0%}, density "
        f"{b['density']:.0%} against {share:.0%} overall (binomial p {_pval(b['p_binomial'])}, "
        "optimistic: exploratory)"
    )


def claims_table(rows: list[dict]) -> str:
    head = (
        "| id | paper's words | cause | effect (95% CI) | test | p | verdict | where it fails |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        res = r["result"]
        if r["kind"] == "table":
            lines.append(
                f"| {r['id']} | {r['words']} | (data) | {r['statistic']} | {res['test']} | — | "
                f"{res['verdict']} | {where_text(r)} |"
            )
            continue
        if r["kind"] == "dose":
            cause = f"`{r['cause']}` {r['labels'][0]} → {r['labels'][-1]}"
        else:
            cause = f"`{r['labels'][0]}` → `{r['labels'][1]}`"
        if r["condition"]:
            cause += f" (under `{r['condition']}`)"
        o = r["outcome"]
        eff = (
            f"{_num(res['effect'], o)} [{_num(res['ci95'][0], o)}, {_num(res['ci95'][1], o)}] "
            f"{OUTCOME_WORDS[o]}"
        )
        lines.append(
            f"| {r['id']} ({r['role']}) | {r['words']} | {cause} | {eff} | sign-flip, one-sided "
            f"({r['expected']}) | {_pval(res['p'])} | **{res['verdict']}** | {where_text(r)} |"
        )
    return head + "\n".join(lines) + "\n"


def calibration_table(cal: dict) -> str:
    head = (
        "| target | held out | observed | band | posterior median | 90% interval | "
        "in band (share of draws) | met |\n|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in cal["targets"]:
        lines.append(
            f"| `{r['name']}` | {'yes' if r['held_out'] else 'no'} | {r['observed']:g} | "
            f"[{r['band'][0]:g}, {r['band'][1]:g}] | {r['median']:.3g} | "
            f"[{r['interval90'][0]:.3g}, {r['interval90'][1]:.3g}] | {r['share_in_band']:.0%} | "
            f"{'yes' if r['met'] else '**no**'} |"
        )
    return head + "\n".join(lines) + "\n"


def render(results: dict, images: str | None = "", title: str = "Claims over the posterior") -> str:
    """The Markdown report of ``results`` (``claims.md``, ``docs/VALIDATION.md``): the
    verdict table, each claim's figure (``images``: their folder, relative; None for no
    figures), the calibration fit and its verdict, and the provenance."""
    p = results["provenance"]
    post = p["posterior"]
    rows = results["claims"]
    out = [f"# {title}", ""]
    out.append(
        f"Generated by `pax-silica claims` from `{p['ledger']['file']}`: "
        f"{p['draws']} posterior draws (seed {p['seed']}: draw seeds {p['draw_seeds'][0]}"
        f"-{p['draw_seeds'][1]}), {p['reps']} runs per arm and draw, the same seeds in every "
        f"arm; posterior `{post['name']}` ({post['particles']} particles, ESS {post['ess']}, "
        f"calibrated at commit {post['provenance'].get('commit', '?')}); model commit "
        f"{(p['git'].get('commit') or '?')[:10]}. Method: docs/ODD.md, section 5.4."
    )
    out.append("")
    dist = [r for r in rows if r["kind"] != "table"]
    counts = {
        v: sum(r["result"]["verdict"] == v for r in dist) for v in ("holds", "fails", "not shown")
    }
    if dist:
        prim_ = [r for r in dist if r["role"] == "primary"]
        out.append(
            f"Of {len(dist)} distributional entries, {counts['holds']} hold, {counts['fails']} "
            f"fail and {counts['not shown']} not shown; of the {len(prim_)} primary ones "
            f"(the cause varied over its range), "
            f"{sum(r['result']['verdict'] == 'holds' for r in prim_)} hold."
        )
        out.append("")
    out += ["## Verdicts", "", claims_table(rows)]
    out.append(
        "Effect: the mean over draws of each draw's outcome at the last arm (highest dose, "
        "treated preset) minus the first; 95% CI by cluster bootstrap over draws "
        f"({p['bootstrap']} resamples); p: one-sided sign-flip test of the per-draw effects "
        f"in the paper's direction ({p['permutations']} flips). Holds: the interval excludes "
        "0 in the paper's direction; fails: it excludes 0 the other way; not shown: it "
        "covers 0. Wrong way: draws whose own effect has the other sign (with "
        f"{p['reps']} runs per arm, partly noise); PRIM looks for where they concentrate "
        f"when they are at least {WRONG_WAY_SHARE:.0%} of draws."
    )
    out.append("")
    if images is not None and dist:
        out += ["## Dose-responses", ""]
        for r in dist:
            out.append(f"![{r['id']}]({images}{r['id']}.png)")
        out.append("")
    if results.get("calibration"):
        cal = results["calibration"]
        out += ["## Calibration targets: posterior predictive fit", ""]
        out.append(calibration_table(cal))
        out.append(
            "Posterior predictive: each draw's parameters simulated as the calibration "
            f"simulates them ({p['calibration_reps']} short runs per calibration scenario); "
            "the median and 90% interval over draws. Met: the median lies in the band. "
            "Held-out targets were not used to calibrate."
        )
        out.append("")
        held = [r["name"] for r in cal["targets"] if r["held_out"]]
        if held:
            out.append(f"Held out: {', '.join(f'`{h}`' for h in held)}.")
            out.append("")
        out += ["**Verdict.** " + cal["verdict"], ""]
        out += [
            "Why the misses happen, and what the calibration found, is in docs/ODD.md, "
            "section 5.3.",
            "",
        ]
        if images is not None:
            out += [f"![calibration]({images}calibration.png)", ""]
    if results.get("posterior"):
        out += ["## The posterior against the prior", ""]
        out.append(
            "Weighted quantiles of each uncertain parameter over the posterior's particles, "
            "most shifted first; the place of the median in the prior range is 0 at its low "
            "end, 1 at its high end (on the log scale for a log prior), 0.5 in the middle, "
            "where a uniform prior's median lies."
        )
        out += ["", posterior_table(results["posterior"])]
    return "\n".join(out).rstrip() + "\n"


def render_validation(results: dict) -> str:
    """``docs/VALIDATION.md``: the report of the committed results, with a header."""
    head = (
        "<!-- Generated by `pax-silica claims --write-docs` from docs/validation/results.json; "
        "do not edit: tests/experiments/test_claims.py keeps it in step. -->\n"
    )
    return head + render(results, images="validation/", title="Validation: claims and calibration")


# ------------------------------------------------------------------- figures ---------
def plot_entry(r: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = r["result"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.4))
    x = np.arange(len(r["labels"]))
    a.fill_between(x, res["band95"][0], res["band95"][1], alpha=0.3, label="95% band (bootstrap)")
    a.plot(x, res["curve"], "o-", label="mean over draws")
    a.set_xticks(x, r["labels"], fontsize=8)
    a.set_xlabel(r["cause"] if r["kind"] == "dose" else "preset")
    a.set_ylabel(OUTCOME_WORDS[r["outcome"]])
    a.legend(fontsize=7)
    a.set_title(f"{r['id']}: {res['verdict']}", fontsize=10)
    e = np.array(res["per_draw"])
    b.hist(e, bins=min(30, max(5, len(np.unique(e)))), color="grey")
    b.axvline(0, color="k", lw=0.8)
    b.axvline(res["effect"], color="C3", label="mean effect")
    b.axvspan(res["ci95"][0], res["ci95"][1], color="C3", alpha=0.2, label="95% CI")
    b.set_xlabel("per-draw effect (last arm - first)")
    b.set_ylabel("draws")
    b.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_calibration(cal: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = cal["targets"]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.2))
    for i, r in enumerate(rows):
        span = max(r["band"][1], r["interval90"][1], r["observed"]) or 1.0
        norm = lambda v, s=span: v / s  # noqa: E731  (each target on its own scale)
        ax.barh(
            i,
            norm(r["band"][1]) - norm(r["band"][0]),
            left=norm(r["band"][0]),
            color="C2",
            alpha=0.3,
        )
        ax.plot([norm(r["interval90"][0]), norm(r["interval90"][1])], [i, i], "k-")
        ax.plot(norm(r["median"]), i, "ko")
        ax.plot(norm(r["observed"]), i, "C3|", ms=14)
    ax.set_yticks(
        range(len(rows)),
        [r["name"] + (" (held out)" if r["held_out"] else "") for r in rows],
        fontsize=7,
    )
    ax.set_xlabel("value / largest of band, interval and observed (green: band; red: observed)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.subplots_adjust(left=0.32)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_folder(out: Path, results: dict, md: str) -> None:
    def fill(tmp: Path) -> None:
        (tmp / "results.json").write_text(dumps(results), encoding="utf-8")
        (tmp / "claims.md").write_text(md, encoding="utf-8")
        for r in results["claims"]:
            if r["kind"] != "table":
                plot_entry(r, tmp / f"{r['id']}.png")
        if results.get("calibration"):
            plot_calibration(results["calibration"], tmp / "calibration.png")

    atomic_write(out, fill, folder=True)


def dumps(results: dict) -> str:
    return json.dumps(results, indent=1, sort_keys=False) + "\n"


def write_docs(results: dict) -> None:
    """``docs/validation/`` (results and figures) and ``docs/VALIDATION.md``."""

    def fill(tmp: Path) -> None:
        (tmp / "results.json").write_text(dumps(results), encoding="utf-8")
        for r in results["claims"]:
            if r["kind"] != "table":
                plot_entry(r, tmp / f"{r['id']}.png")
        if results.get("calibration"):
            plot_calibration(results["calibration"], tmp / "calibration.png")

    atomic_write(DOCS_DIR, fill, folder=True)
    write_bytes(VALIDATION_MD, render_validation(results).encode("utf-8"))


# ---------------------------------------------------------------------- the CLI -------
def register(sub, add_scenario_args) -> None:
    p = sub.add_parser(
        "claims",
        help="re-test the paper's claims C1-C6 and the calibration targets over the posterior",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument(
        "--posterior",
        default="default",
        metavar="NAME|FILE",
        help="the posterior to draw from: 'default' or a posterior .csv (default: default)",
    )
    p.add_argument(
        "--draws",
        type=whole_number(2, SEED_STRIDE),
        default=DRAWS,
        help=f"posterior draws K (default {DRAWS})",
    )
    p.add_argument(
        "--reps",
        type=whole_number(1, MAX_REPS),
        default=REPS,
        help=f"runs per arm and draw, the same seeds in every arm (default {REPS})",
    )
    p.add_argument(
        "--seed",
        type=natural_int,
        default=1,
        help="the draws' seeds are seed * 10000 + k (default 1)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("claims"),
        help="the folder to write (default claims/; replaced whole)",
    )
    p.add_argument(
        "--only",
        metavar="IDS",
        help="comma-separated entry ids or claims of model/data/claims.toml, and "
        "'fit' for the calibration targets (default: all)",
    )
    p.add_argument(
        "--write-docs",
        action="store_true",
        help="also write docs/validation/ and docs/VALIDATION.md (the whole ledger)",
    )
    p.add_argument(
        "--render-docs",
        action="store_true",
        help="only rewrite docs/VALIDATION.md from docs/validation/results.json (no runs)",
    )
    p.add_argument("--workers", type=whole_number(1), help="worker processes (one per core)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="a running Dask scheduler")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--in-process", action="store_true", help="run every draw in this process")
    where.add_argument(
        "--local-cluster",
        action="store_true",
        help="run on a local Dask cluster instead of worker processes, whatever the size",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    p.set_defaults(func=cmd_claims)


def check_args(args) -> None:
    from experiments.sweep import _check_scheduler, _check_where

    _check_where(args)
    _check_scheduler(args)
    if args.write_docs and args.only:
        raise CliError("--write-docs: writes the whole ledger's results; not with --only")
    from experiments.args import check_output

    check_output("--out", args.out, folder=True)


def cmd_claims(args) -> int:
    from experiments.sweep import Progress, executor_for

    if args.render_docs:
        results = json.loads(DOCS_RESULTS.read_text(encoding="utf-8"))
        write_bytes(VALIDATION_MD, render_validation(results).encode("utf-8"))
        print(f"{VALIDATION_MD.relative_to(ROOT)} rewritten from {DOCS_RESULTS.relative_to(ROOT)}")
        return 0
    check_args(args)
    entries, calibration = select(args.only)
    try:
        post = load_posterior(args.posterior)
    except PosteriorError as e:
        raise CliError(f"--posterior: {e}") from None
    except OSError as e:
        raise CliError(f"--posterior: cannot read {args.posterior} ({e.strerror or e})") from None
    n_arms = len({a.key for e in entries for a in e.arms()})
    n_runs = args.draws * n_arms * args.reps
    t0 = time.perf_counter()
    progress = Progress(n_runs, enabled=not args.no_progress)
    progress.stream.write(
        f"claims: {len(entries)} entries, {n_arms} arms x {args.reps} runs x {args.draws} "
        f"draws = {n_runs:,} runs" + (" and the calibration targets" if calibration else "") + "\n"
    )
    ex = executor_for(args, max(n_runs, 1), 40)
    with ex:
        progress.stream.write(f"claims: running {ex.describe()}\n")
        raw = run_claims(
            entries, post, args.seed, args.draws, args.reps, calibration, ex, progress=progress
        )
    progress.close()
    results = {
        "provenance": provenance(post, args.posterior, args, entries, calibration),
        "claims": analyse(entries, raw, post, args.seed),
        "calibration": calibration_fit(raw) if calibration else None,
        "posterior": posterior_summary(post),
    }
    wall = time.perf_counter() - t0
    results["session"] = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 1),
        "where": getattr(ex, "where", "?"),
        "runs": n_runs,
        "cores": os.cpu_count(),
    }
    write_folder(args.out, results, render(results))
    if args.write_docs:
        write_docs(results)
    for r in results["claims"]:
        print(f"{r['id']:<15} {r['result']['verdict']}")
    if results["calibration"]:
        print("calibration: " + results["calibration"]["verdict"])
    print(f"claims: {n_runs:,} runs in {wall:.0f} s; written to {args.out}", file=sys.stderr)
    return 0
