"""The game's score, shared by the terminal play mode, the app's play mode and classroom.

Both sides score 0-100 and the two scores sum to 100: the US gains from the alliance's
survival, from the supply-chain phases it covers and controls and from the capital it
attracts; China gains from the reverse.
"""

from __future__ import annotations

WEIGHTS = {"survival": 0.4, "phases": 0.3, "capital": 0.3}


def score(series, outcome: dict, total_capital: float, horizon: int) -> dict:
    """The game's score for both sides (0-100 each; they sum to 100).

    survival S: time to collapse over the horizon (1 if the alliance survives);
    phases P: mean over quarters 1..T of (covered + controlled phases) / 24;
    capital K: mean over quarters 1..T of capital committed / investors' total capital.
    US = 100 (0.4 S + 0.3 P + 0.3 K); China = 100 - US.
    """
    rows = series[series["quarter"] >= 1]
    s = 1.0 if outcome["survived"] else outcome["time_to_collapse"] / max(1, horizon)
    p = (
        float(((rows["covered_phases"] + rows["controlled_phases"]) / 24).mean())
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
    from model.run import series_of

    return score(series_of(m), m.outcome(), m.investors.total_capital, int(m.p["steps"]))
