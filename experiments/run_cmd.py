"""``pax-silica run``: one run, told as a short story, with its data written out."""

from __future__ import annotations

from pathlib import Path

from experiments.args import (
    CliError,
    add_posterior_arg,
    check_output,
    load_from_args,
    natural_int,
    positive_int,
    posterior_from_args,
)
from model.files import atomic_write
from model.run import RunResult, events_path, run_model, write_run
from model.wording import fate

# What a reader most needs first: who left or joined and whether the alliance fell; then
# what drove it. The story shows the first kind always and fills up with the second.
MAIN_EVENTS = ("defection", "accession", "collapse", "eu_turns", "export_control")
CONTEXT_EVENTS = ("reversal", "escalation", "truce", "refusal")


def register(sub, add_scenario_args) -> None:
    p = sub.add_parser("run", help="run one scenario and tell its story")
    add_scenario_args(p)
    add_posterior_arg(p)
    p.add_argument("--steps", type=positive_int, help="quarters to run (default 40)")
    p.add_argument("--seed", type=natural_int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--out",
        type=Path,
        help="write the quarterly series to FILE.parquet or FILE.csv and the events beside "
        "it to FILE.events.<ext>; both carry one run id (Parquet metadata key "
        "pax_silica.run_id; CSV column run_id) that model.run.read_run checks, so a pair "
        "from two runs is never taken for one",
    )
    p.add_argument("--plot", type=Path, help="write a chart of the run to FILE.png")
    p.add_argument("--events", type=natural_int, default=12, help="key events to show (default 12)")
    p.set_defaults(func=run)


def run(args) -> int:
    for flag, path, exts in (
        ("--out", args.out, (".parquet", ".csv")),
        ("--plot", args.plot, (".png",)),
    ):
        if path is None:
            continue
        if path.suffix.lower() not in exts:
            raise CliError(f"{flag}: expected a file ending in {' or '.join(exts)}, got {path}")
        check_output(flag, path)
    if args.out is not None:
        check_output("--out", events_path(args.out))
    overrides = list(args.overrides)
    if args.steps:
        overrides.append(f"steps={args.steps}")
    args.overrides = overrides
    scen = load_from_args(args)
    post = posterior_from_args(args)
    result = run_model(scen, seed=args.seed, posterior=post)
    if post is not None:
        drawn = post.index(args.seed)
        print(
            f"Posterior {post.path}: seed {args.seed} draws accepted set {drawn + 1} "
            f"of {len(post)}."
        )
    print(story(result, args.events))
    if args.out:
        run_id = write_run(result, args.out)
        print(
            f"\nSeries written to {args.out}; events to {events_path(args.out)} (run id {run_id})"
        )
    if args.plot:
        plot_run(result, args.plot)
        print(f"Chart written to {args.plot}")
    return 0


def story(r: RunResult, n_events: int = 12) -> str:
    """A short plain-language account of a run."""
    m, o, s = r.model, r.outcome, r.series
    first, last = s.iloc[0], s.iloc[-1]
    lines = [
        f"Scenario {m.scenario.name}: {m.scenario.description}",
        f"Seed {m.rng_seed}, {o['quarters_run']} quarters "
        f"({m.when(1)} to {m.when(o['quarters_run'])}).",
        "",
    ]
    reason = "" if o["survived"] else f": {o['collapse_reason']}"
    lines.append(f"The alliance {fate(m, loud=True, quarter=True)}{reason}.")
    yearly = s[(s["quarter"] % 4 == 0) & (s["quarter"] > 0)]
    lines.append(
        "Members by year-end: "
        + ", ".join(
            f"{m.p['start_year'] + int(q) // 4 - 1}: {int(n)}"
            for q, n in zip(yearly["quarter"], yearly["members"], strict=True)
        )
    )
    lines.append(
        f"Members {int(first['members'])} -> {int(last['members'])} "
        f"({o['final_defectors']} out, {o['final_joined']} joined); "
        f"participants {int(first['participants'])} -> {int(last['participants'])}."
    )
    lines.append(
        f"Credibility {first['credibility']:.2f} -> {o['final_credibility']:.2f}; "
        f"capital committed US${o['final_capital_committed']:.0f}bn, "
        f"stranded US${o['final_capital_stranded']:.0f}bn."
    )
    ph = m.world.phases[o["final_bottleneck"] - 1]
    lines.append(
        f"Bottleneck: phase {ph.id} ({ph.name}); the alliance's refining share "
        f"{first['refining_share']:.1%} -> {o['final_refining_share']:.1%}; "
        f"covered phases {int(first['covered_phases'])} -> "
        f"{o['final_covered_phases']} of {m.world.n_phases}."
    )
    lines.append(f"Input price index peaked at {s['price_index'].max():.2f}.")
    main = [e for e in m.events if e.kind in MAIN_EVENTS]
    context = [e for e in m.events if e.kind in CONTEXT_EVENTS]
    shown = main[:n_events] + context[: max(0, n_events - len(main))]
    shown.sort(key=lambda e: e.quarter)
    if shown:
        lines += ["", "Key events:"]
        lines += [f"  {e.text}" for e in shown]
        hidden = len(main) + len(context) - len(shown)
        if hidden > 0:
            lines.append(f"  ... and {hidden} more (see --out)")
    return "\n".join(lines)


def plot_run(r: RunResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = r.series
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex=True)
    ax = axes[0, 0]
    ax.plot(s["quarter"], s["members"], label="members")
    ax.plot(s["quarter"], s["participants"], label="participants")
    ax.plot(s["quarter"], s["defectors"], label="defectors")
    ax.set_title("Membership")
    ax.legend()
    ax = axes[0, 1]
    ax.plot(s["quarter"], s["credibility"], color="tab:purple")
    ax.set_ylim(0, 1)
    ax.set_title("US credibility")
    ax = axes[1, 0]
    for col in ("capital_committed", "capital_pipeline", "capital_stranded"):
        ax.plot(s["quarter"], s[col], label=col.removeprefix("capital_"))
    ax.set_title("Investor capital (US$bn)")
    ax.legend()
    ax = axes[1, 1]
    ax.plot(s["quarter"], s["price_index"], color="tab:red", label="price index")
    ax.plot(
        s["quarter"],
        s["refining_share"] * 10,
        color="tab:green",
        label="alliance refining share x10",
    )
    ax.set_title("Critical inputs")
    ax.legend()
    for a in axes[1]:
        a.set_xlabel("quarter")
    m = r.model
    if m.collapsed:
        for a in axes.flat:
            a.axvline(m.collapse_quarter, color="black", linestyle=":", linewidth=1)
        axes[0, 0].annotate("collapse", (m.collapse_quarter, 0.5), fontsize=8)
    fig.suptitle(f"Pax Silica - {m.scenario.name}, seed {m.rng_seed}: {fate(m)}")
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, dpi=100, format="png"))
    plt.close(fig)
