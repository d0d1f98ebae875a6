"""The game's score, shared by the terminal play mode, the app's play mode and classroom,
and a played game's comparison with the rule-based actor.

Both sides score 0-100 and the two scores sum to 100: the US gains from the alliance's
survival, from the supply-chain phases it covers and controls and from the capital it
attracts; China gains from the reverse.
"""

from __future__ import annotations

from model.replicate import replicate
from model.run import series_of
from model.wording import fate, fate_of
from model.world import load_world

WEIGHTS = {"survival": 0.4, "phases": 0.3, "capital": 0.3}


def score(
    series, outcome: dict, total_capital: float, horizon: int, n_phases: int | None = None
) -> dict:
    """The game's score for both sides (0-100 each; they sum to 100).

    survival S: time to collapse over the horizon (1 if the alliance survives);
    phases P: mean over quarters 1..T of (covered + controlled phases) / (2 x the number of
    phases, ``n_phases``, the world's by default);
    capital K: mean over quarters 1..T of capital committed / investors' total capital.
    US = 100 (0.4 S + 0.3 P + 0.3 K); China = 100 - US.
    """
    both = 2 * (load_world().n_phases if n_phases is None else n_phases)
    rows = series[series["quarter"] >= 1]
    s = 1.0 if outcome["survived"] else outcome["time_to_collapse"] / max(1, horizon)
    p = (
        float(((rows["covered_phases"] + rows["controlled_phases"]) / both).mean())
        if len(rows)
        else 0.0
    )
    k = (
        float((rows["capital_committed"] / total_capital).mean())
        if len(rows) and total_capital > 0
        else 0.0
    )
    us = 100 * (WEIGHTS["survival"] * s + WEIGHTS["phases"] * p + WEIGHTS["capital"] * k)
    return {"survival": s, "phases": p, "capital": k, "us": us, "china": 100 - us}


def score_of_model(m) -> dict:
    total, horizon = m.investors.total_capital, int(m.p["steps"])
    return score(series_of(m), m.outcome(), total, horizon, m.world.n_phases)


def explain(sc: dict, side: str) -> str:
    """A side's score and how it is made, in one line."""
    sign = "" if side == "us" else "100 - "
    return (
        f"{sc[side]:5.1f}  = {sign}100 x ("
        + " + ".join(f"{w:g} x {k} {sc[k]:.2f}" for k, w in WEIGHTS.items())
        + ")"
    )


def compare(scen, side: str, seed: int, n: int, m) -> tuple[str, dict, dict]:
    """A played game (the finished model ``m``) against the rules: its outcome and score
    next to the rule-based actor's on ``scen`` over ``n`` seeds from ``seed``, in words
    (the text ``pax-silica play`` prints and the app's Play tab shows). Returns (the text,
    the player's score, the rule-based score on ``seed``)."""
    mine = score_of_model(m)
    reason = "" if not m.collapsed else f" ({m.collapse_reason})"
    label = "US" if side == "us" else "China"
    lines = [
        f"Game over: the alliance {fate(m, loud=True)}{reason}.",
        f"Your score ({label}):       {explain(mine, side)}",
    ]
    rule_scores = [
        (rm.rng_seed, score_of_model(rm), rm.outcome())
        for rm in replicate(scen, range(seed, seed + n), collect=True)
    ]
    _, first, fo = rule_scores[0]
    rfate = fate_of(fo["collapse_quarter"], fo["quarters_run"], m.when, quarter=True)
    lines.append(f"Rule-based {label}, seed {seed}: {explain(first, side)}  ({rfate})")
    if n > 1:
        vals = [sc[side] for _, sc, _ in rule_scores]
        collapsed = sum(not o_["survived"] for _, _, o_ in rule_scores)
        lines.append(
            f"Rule-based {label} over seeds {seed}-{seed + n - 1}: mean {sum(vals) / n:.1f} "
            f"(min {min(vals):.1f}, max {max(vals):.1f}); the alliance collapsed in "
            f"{collapsed} of {n}."
        )
    diff = mine[side] - first[side]
    verdict = "better than" if diff > 0.05 else "worse than" if diff < -0.05 else "the same as"
    lines.append(f"You did {verdict} the rule-based {label} on this seed ({diff:+.1f}).")
    return "\n".join(lines), mine, first
