"""``pax-silica report``: a folder of charts and a Markdown summary, ready for slides.

One run (``--seed``) is told in charts -- membership and credibility, investor capital,
the supply chain's phases by bloc at the start and at the end with the bottleneck
marked -- and ``--replications`` seeded runs give the survival curve (Kaplan-Meier) and a
table. Everything is written to a temporary folder beside ``--out`` and renamed into place
at the end, so a failure leaves nothing half-written; a non-empty ``--out`` is refused
unless ``--force``.

Files: ``summary.md``, ``membership_credibility.png``, ``capital.png``,
``supply_chain.png``, ``survival.png``, ``series.csv`` (the run, quarterly),
``events.csv`` (its event log) and ``replications.csv`` (one row per replication).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from agents.state import Status
from experiments.args import (
    CliError,
    add_posterior_arg,
    check_output,
    load_from_args,
    natural_int,
    positive_int,
    posterior_from_args,
)
from experiments.catalogue import add_catalogue_arg, register_study
from model import metrics
from model.estimates import Survival, kaplan_meier
from model.files import atomic_write
from model.model import PaxSilicaModel
from model.posterior import Posterior, posterior_overrides
from model.replicate import replicate
from model.run import events_of, series_of
from model.wording import fate, fate_of

FILES = (
    "summary.md",
    "membership_credibility.png",
    "capital.png",
    "supply_chain.png",
    "survival.png",
    "series.csv",
    "events.csv",
    "replications.csv",
)
CHARTS = FILES[1:5]
METHOD = "Kaplan-Meier"  # the survival estimate (model.estimates)
BLOCS = ("Signatories", "Participants", "Defected", "China", "Everyone else")
MAIN_EVENTS = (
    "defection",
    "accession",
    "collapse",
    "eu_turns",
    "export_control",
    "reversal",
    "escalation",
    "truce",
)


def register(sub, add_scenario_args) -> None:
    p = sub.add_parser(
        "report", help="write charts and a Markdown summary of a scenario to a folder (for slides)"
    )
    add_scenario_args(p)
    add_posterior_arg(p)
    p.add_argument(
        "--seed",
        type=natural_int,
        default=0,
        help="seed of the run shown in the charts; replications use seeds from here on (default 0)",
    )
    p.add_argument(
        "--replications",
        type=positive_int,
        default=20,
        metavar="N",
        help="seeded runs for the survival curve and the table (default 20)",
    )
    p.add_argument("--steps", type=positive_int, help="quarters to run (default 40)")
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder to write (new or empty, unless --force; folders above it are made if missing)",
    )
    p.add_argument("--force", action="store_true", help="replace a non-empty --out folder")
    add_catalogue_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    out: Path = args.out
    check_output("--out", out, folder=True, make_parents=True)
    if out.is_dir() and any(out.iterdir()) and not args.force:
        raise CliError(f"--out: the folder {out} is not empty; use --force to replace it")
    if args.steps:
        args.overrides = [*args.overrides, f"steps={args.steps}"]
    scen = load_from_args(args)
    post = posterior_from_args(args)
    cmd = _command_line(args)
    write_report(
        scen, out, seed=args.seed, replications=args.replications, command=cmd, posterior=post
    )
    register_study("report", out, report_manifest(args, scen, cmd), args)
    print(f"Report written to {out}/: " + ", ".join(FILES))
    return 0


def report_manifest(args, scen, command: str) -> dict:
    """What the catalogue keeps of a report (the report's own provenance is summary.md)."""
    return {
        "format": "pax-silica-report/1",
        "scenario": {"ref": args.scenario, "name": scen.name, "overrides": list(args.overrides)},
        "seed": args.seed,
        "replications": args.replications,
        "runs_total": args.replications,
        "posterior": getattr(args, "posterior", None),
        "command": command,
        "files": list(FILES),
        "status": "complete",
    }


def _command_line(args) -> str:
    parts = ["pax-silica report", f"--scenario {args.scenario}"]
    parts += [f"--set {o}" for o in args.overrides]
    parts += [f"--seed {args.seed}", f"--replications {args.replications}"]
    if getattr(args, "posterior", None):
        parts.append(f"--posterior {args.posterior}")
    return " ".join(parts)


# --- the report ---------------------------------------------------------------------------
def write_report(
    scen,
    out: Path,
    seed: int = 0,
    replications: int = 20,
    command: str = "",
    posterior: Posterior | None = None,
) -> None:
    """Run the scenario and write every file of the report to ``out`` atomically;
    ``posterior``: every run (the one shown and each replication) draws its uncertain
    parameters from it by its seed."""
    out = Path(out)
    out.absolute().parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: Path) -> None:
        m = PaxSilicaModel(scen, rng=seed, **posterior_overrides(posterior, scen, seed))
        start = bloc_shares(m)
        start_bottleneck = m.bottleneck
        m.run()
        end = bloc_shares(m)
        series, events = series_of(m), events_of(m)
        reps = replications_table(scen, seed, replications, posterior)
        series.to_csv(tmp / "series.csv", index=False)
        events.to_csv(tmp / "events.csv", index=False)
        reps.to_csv(tmp / "replications.csv", index=False)
        km = kaplan_meier(reps["time_to_collapse"], reps["event_observed"], int(m.p["steps"]))
        _charts(m, series, start, end, start_bottleneck, reps, km, tmp)
        (tmp / "summary.md").write_text(
            summary(m, series, reps, km, start_bottleneck, command), encoding="utf-8"
        )

    atomic_write(out.absolute(), write, folder=True)


def bloc_shares(m: PaxSilicaModel) -> np.ndarray:
    """Volume shares of each phase by bloc (rows as ``BLOCS``), from the model's world."""
    w = m.world
    share = metrics.shares(w.volume)
    status = {s.code: s.status for s in m.states}
    rows = {b: np.zeros(len(w.actors), dtype=bool) for b in BLOCS}
    for i, a in enumerate(w.actors):
        st = status.get(a.id)
        bloc = (
            "China"
            if a.id == "CHN"
            else "Signatories"
            if st == Status.MEMBER
            else "Participants"
            if st == Status.PARTICIPANT
            else "Defected"
            if st == Status.DEFECTED
            else "Everyone else"
        )
        rows[bloc][i] = True
    return np.array([metrics.bloc_share(share, rows[b]) for b in BLOCS])


def replications_table(scen, seed: int, n: int, posterior: Posterior | None = None) -> pd.DataFrame:
    """One row per replication (seeds ``seed`` .. ``seed + n - 1``): its outcome."""
    rows = []
    for rm in replicate(scen, range(seed, seed + n), posterior=posterior):
        o = rm.outcome()
        rows.append(
            {
                "seed": rm.rng_seed,
                "survived": o["survived"],
                "collapse_quarter": o["collapse_quarter"],
                "time_to_collapse": o["time_to_collapse"],
                "event_observed": o["event_observed"],
                "quarters_run": o["quarters_run"],
                "collapse_reason": o["collapse_reason"],
                "final_members": o["final_members"],
                "final_credibility": o["final_credibility"],
                "final_capital_committed": o["final_capital_committed"],
                "final_capital_stranded": o["final_capital_stranded"],
                "final_refining_share": o["final_refining_share"],
                "final_covered_phases": o["final_covered_phases"],
            }
        )
    return pd.DataFrame(rows)


# --- charts -------------------------------------------------------------------------------
def _charts(m, s, start, end, start_bottleneck, reps, km, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    name = m.scenario.name
    title = f"{name}, seed {m.rng_seed}: {fate(m)}"

    def collapse_line(ax):
        if m.collapsed:
            ax.axvline(m.collapse_quarter, color="black", ls=":", lw=1)
            ax.annotate(
                f"collapse ({m.when(m.collapse_quarter)})",
                xy=(m.collapse_quarter, 0.45),
                xycoords=("data", "axes fraction"),
                xytext=(4, 0),
                textcoords="offset points",
                fontsize=8,
                rotation=90,
            )

    def quarters_axis(ax):
        ax.set_xlabel(f"quarter (1 = {m.when(1)})")
        ax.set_xlim(0, int(s["quarter"].max()))

    fig, ax = plt.subplots(figsize=(10, 5.5))
    ax.step(s["quarter"], s["members"], where="post", label="signatories", lw=2)
    ax.step(s["quarter"], s["participants"], where="post", label="participants")
    ax.step(s["quarter"], s["defectors"], where="post", label="defected", color="tab:red")
    ax.set_ylabel("states")
    ax.set_ylim(0, max(20, int(s["members"].max()) + 2))
    ax2 = ax.twinx()
    ax2.plot(s["quarter"], s["credibility"], color="tab:purple", lw=2, label="credibility")
    ax2.set_ylim(0, 1)
    ax2.set_ylabel("US credibility (0-1)")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", ncol=4, fontsize=9)
    quarters_axis(ax)
    collapse_line(ax)
    ax.set_title(f"Membership and credibility - {title}")
    _save(fig, folder / "membership_credibility.png")

    fig, ax = plt.subplots(figsize=(10, 5.5))
    total = m.investors.total_capital
    for col, label in (
        ("capital_committed", "committed (pipeline + built)"),
        ("capital_pipeline", "in the pipeline"),
        ("capital_built", "built"),
        ("capital_stranded", "stranded"),
        ("capital_idle", "idle"),
    ):
        ax.plot(s["quarter"], s[col], label=label, lw=2 if col == "capital_committed" else 1.2)
    ax.axhline(total, color="grey", ls="--", lw=1)
    ax.annotate(
        f"investors' total US${total:.0f}bn",
        (1, total),
        xytext=(0, 4),
        textcoords="offset points",
        fontsize=8,
        color="grey",
    )
    ax.set_ylabel("US$bn")
    ax.set_ylim(0, total * 1.08)
    ax.legend(loc="center right", fontsize=9)
    quarters_axis(ax)
    collapse_line(ax)
    ax.set_title(f"Investor capital - {title}")
    _save(fig, folder / "capital.png")

    phases = [ph.short for ph in m.world.phases]
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.5), sharey=True, layout="constrained")
    for ax, data, when, bn in (
        (axes[0], start, m.when(0), start_bottleneck),
        (axes[1], end, m.when(int(s["quarter"].max())), m.bottleneck),
    ):
        im = ax.imshow(data, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                v = data[i, j]
                label = "" if v < 0.0005 else f"{v:.1%}" if v < 0.095 else f"{v:.0%}"
                ax.text(
                    j,
                    i,
                    label,
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if v > 0.55 else "black",
                )
        ax.add_patch(
            plt.Rectangle((bn - 1.5, -0.5), 1, data.shape[0], fill=False, ec="tab:red", lw=2.5)
        )
        ax.set_xticks(range(len(phases)))
        ax.set_xticklabels(
            [f"{k + 1} {p}" for k, p in enumerate(phases)], rotation=60, ha="right", fontsize=8
        )
        ax.set_yticks(range(len(BLOCS)))
        ax.set_yticklabels(BLOCS)
        ax.set_title(f"{when}: bottleneck phase {bn} ({phases[bn - 1]}, red)", fontsize=10)
    fig.colorbar(im, ax=axes, fraction=0.025, label="share of world capacity (volume)")
    fig.suptitle(f"Supply chain by bloc, start and end - {title}")
    _save(fig, folder / "supply_chain.png", tight=False)

    fig, ax = plt.subplots(figsize=(9, 5.5))
    ax.step(
        km.times,
        km.survival,
        where="post",
        lw=2,
        color="tab:blue",
        label=f"alliance survival, {METHOD}",
    )
    ax.fill_between(
        km.times,
        km.lower,
        km.upper,
        step="post",
        alpha=0.2,
        color="tab:blue",
        label="95% confidence band",
    )
    ax.axhline(0.5, color="grey", ls=":", lw=1)
    if np.isfinite(km.median):
        ax.axvline(
            km.median,
            color="tab:red",
            ls="--",
            lw=1,
            label=f"median time to collapse: quarter {km.median:.0f}",
        )
    ax.set_ylim(0, 1.05)
    ax.set_xlim(0, km.times.max())
    ax.set_xlabel(f"quarter (1 = {m.when(1)})")
    ax.set_ylabel("share of runs in which the alliance still stands")
    n, c = len(reps), int(reps["event_observed"].sum())
    ax.set_title(
        f"Survival over {n} runs (seeds {reps['seed'].min()}-{reps['seed'].max()}) "
        f"- {name}: {c} of {n} collapse"
    )
    ax.legend(loc="lower left", fontsize=9)
    _save(fig, folder / "survival.png")


def _save(fig, path: Path, tight: bool = True) -> None:
    import matplotlib.pyplot as plt

    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)


# --- summary.md ---------------------------------------------------------------------------
def summary(m, s, reps: pd.DataFrame, km: Survival, start_bottleneck: int, command: str) -> str:
    o = m.outcome()
    first, last = s.iloc[0], s.iloc[-1]
    ph = m.world.phases
    horizon = int(m.p["steps"])
    lines = [
        f"# Pax Silica report: {m.scenario.name}",
        "",
        m.scenario.description,
        "",
        f"Generated with `{command}`." if command else "",
        "",
    ]
    lines += [f"## The run (seed {m.rng_seed}, {m.when(1)} to {m.when(o['quarters_run'])})", ""]
    reason = "" if o["survived"] else f": {o['collapse_reason']}"
    lines.append(f"* **Outcome:** the alliance {fate(m, quarter=True)}{reason}.")
    lines += [
        f"* **Members:** {int(first['members'])} -> {o['final_members']} "
        f"({o['final_defectors']} left, {o['final_joined']} joined); participants "
        f"{int(first['participants'])} -> {int(last['participants'])}.",
        f"* **Credibility:** {first['credibility']:.2f} -> {o['final_credibility']:.2f} "
        f"(lowest {s['credibility'].min():.2f}).",
        f"* **Capital:** US${o['final_capital_committed']:.0f}bn committed at the end (peak "
        f"US${s['capital_committed'].max():.0f}bn), US${o['final_capital_stranded']:.0f}bn "
        f"stranded, of US${m.investors.total_capital:.0f}bn.",
        f"* **Supply chain:** bottleneck phase {start_bottleneck} "
        f"({ph[start_bottleneck - 1].name}) at the start, phase {o['final_bottleneck']} "
        f"({ph[o['final_bottleneck'] - 1].name}) at the end; covered phases "
        f"{int(first['covered_phases'])} -> {o['final_covered_phases']}, controlled "
        f"{int(first['controlled_phases'])} -> {int(last['controlled_phases'])} of "
        f"{m.world.n_phases}; the "
        f"signatories' refining share {first['refining_share']:.1%} -> "
        f"{o['final_refining_share']:.1%}; input prices peaked at "
        f"{s['price_index'].max():.2f}.",
        "",
        "![Membership and credibility](membership_credibility.png)",
        "",
        "![Investor capital](capital.png)",
        "",
        "![Supply chain by bloc at the start and the end; the bottleneck in red](supply_chain.png)",
        "",
    ]
    main = [e for e in m.events if e.kind in MAIN_EVENTS]
    lines += ["## Key events", ""]
    if main:
        shown = main[:25]
        lines += [f"* {e.text}" for e in shown]
        if len(main) > len(shown):
            lines.append(f"* ... and {len(main) - len(shown)} more (`events.csv`)")
    else:
        lines.append("* None.")
    n = len(reps)
    c = int(reps["event_observed"].sum())
    collapsed = reps[reps["event_observed"]]
    med = km.median
    med_text = (
        f"quarter {med:.0f} ({m.when(int(med))})"
        if np.isfinite(med)
        else f"not reached (more than half the runs survive to quarter {horizon})"
    )
    lines += [
        "",
        f"## Replications (seeds {reps['seed'].min()}-{reps['seed'].max()})",
        "",
        "| measure | value |",
        "|---|---|",
        f"| runs | {n} |",
        f"| share collapsed | {c / n:.0%} ({c} of {n}) |",
        f"| median time to collapse ({METHOD}) | {med_text} |",
        "| median quarter of collapse, runs that collapsed | "
        + (
            f"{collapsed['collapse_quarter'].median():.1f} (range "
            f"{collapsed['collapse_quarter'].min():.0f}-"
            f"{collapsed['collapse_quarter'].max():.0f})"
            if c
            else "-"
        )
        + " |",
        f"| mean final members | {reps['final_members'].mean():.1f} |",
        f"| mean final credibility | {reps['final_credibility'].mean():.2f} |",
        f"| mean final capital committed | US${reps['final_capital_committed'].mean():.0f}bn |",
        f"| mean final refining share | {reps['final_refining_share'].mean():.1%} |",
        "",
        "![Survival curve](survival.png)",
        "",
        "| seed | outcome | collapse | final members | credibility | capital committed |",
        "|---|---|---|---|---|---|",
    ]
    for r in reps.itertuples():
        collapsed = None if r.survived else int(r.collapse_quarter)
        ending = fate_of(collapsed, int(r.quarters_run), m.when, quarter=True)
        lines.append(
            f"| {r.seed} | {ending} | {r.collapse_reason or '-'} | {r.final_members} | "
            f"{r.final_credibility:.2f} | US${r.final_capital_committed:.0f}bn |"
        )
    lines += [
        "",
        "Data: `series.csv` (the run, quarter by quarter), `events.csv` (its event "
        "log), `replications.csv` (one row per replication). Model description: "
        "`docs/ODD.md`.",
        "",
    ]
    return "\n".join(lines)
