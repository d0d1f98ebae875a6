"""The leader's exogenous behaviour (the United States).

Each quarter there is a chance of a disruptive policy reversal that costs credibility and
angers allies. The leader's deliberate levers -- side payments, invitations, direct
investment, a truce -- are chosen by a policy (``agents.policy``): the rule-based
``RuleBasedLeader`` or a player.
"""

from __future__ import annotations

import numpy as np


def reversal(rng: np.random.Generator, volatility: float) -> bool:
    """Whether the leader reverses course this quarter."""
    return bool(rng.random() < volatility)
