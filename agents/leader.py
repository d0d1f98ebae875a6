"""The leader's levers (the United States).

Side payments go to the most strained members within a budget; each quarter there is a
chance of a disruptive policy reversal that costs credibility and angers allies; the US
invites the non-member that would close the largest coverage gap when its credibility
allows; and it invests directly (a CHIPS-like programme) in the alliance's bottleneck.
"""

from __future__ import annotations

import numpy as np


def side_payments(members: list, budget: float, n_targets: int) -> dict:
    """Split the budget among the ``n_targets`` members closest to their threshold
    (grievance over threshold, the leader's best estimate of strain), in proportion to
    that closeness. Returns {agent: US$bn}."""
    if budget <= 0 or n_targets <= 0:
        return {}
    strained = [(a.grievance / max(a.threshold, 1e-9), a.actor.id, a) for a in members
                if a.role != "leader" and a.grievance > 0]
    strained.sort(key=lambda x: (-x[0], x[1]))
    chosen = strained[:n_targets]
    total = sum(s for s, _, _ in chosen)
    if total <= 0:
        return {}
    return {a: budget * s / total for s, _, a in chosen}


def reversal(rng: np.random.Generator, volatility: float) -> bool:
    """Whether the leader reverses course this quarter."""
    return bool(rng.random() < volatility)


def pick_invitee(candidates: list, gains: dict) -> object | None:
    """The candidate whose signature would add most to coverage (ties: by id)."""
    scored = [(gains.get(a.unique_id, 0.0), a.actor.id, a) for a in candidates]
    scored = [s for s in scored if s[0] > 0]
    if not scored:
        return None
    scored.sort(key=lambda x: (-x[0], x[1]))
    return scored[0][2]
