"""Members weigh what they hold (issue 12, point 2): losing a member that carries phases
unravels the alliance far more often than losing one that carries none.

Each member is forced out in the first quarter of the baseline, 60 seeded replications
each (seeds 1000-1059); the cause varied is who leaves, all else held. Until issue 12 the
collapse rule counted heads and every exit cost the same credibility, so forcing out
Greece or Sweden collapsed the baseline in 100% of runs, as South Korea did.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import numpy as np

from model.model import PaxSilicaModel
from model.scenario import Event, load_scenario
from tests.replications import lean_outcomes, proportion_gap_lower

SEEDS = range(1000, 1060)
CARRIERS = ("KOR", "JPN")  # memory, advanced fabs, materials, equipment: 0.29 and 0.35
BYSTANDERS = ("GRC", "SWE")  # no capacity in any phase: 0.007 and 0.017


@cache
def collapsed_without(member: str) -> np.ndarray:
    base = load_scenario("baseline")
    scen = replace(base, events=list(base.events) + [Event(1, "force_out", actor=member)])
    return np.array([o["event_observed"] for o in lean_outcomes(scen, SEEDS)], dtype=float)


def test_losing_a_member_that_carries_phases_unravels_the_alliance_far_more_often():
    for carrier in CARRIERS:
        for bystander in BYSTANDERS:
            gap = proportion_gap_lower(collapsed_without(carrier), collapsed_without(bystander))
            assert gap > 0.5, (carrier, bystander, gap)


def test_the_weights_order_the_members_by_what_they_hold():
    m = PaxSilicaModel("baseline", rng=0, collect=False, n_investors=10)
    weight = {s.code: s.weight for s in m.states}
    assert min(weight[c] for c in CARRIERS) > 10 * max(weight[b] for b in BYSTANDERS)
    founders = [s for s in m.states if s.founding and s.code != "USA"]
    assert abs(sum(s.weight for s in founders) - 1.0) < 1e-9


def test_with_members_counted_alike_any_exit_unravels_it_as_before():
    """``member_weighting = 0`` restores the head count: Greece then weighs as much as
    Korea, and the knife-edge the issue measured comes back."""
    base = load_scenario("baseline")
    scen = replace(base, events=list(base.events) + [Event(1, "force_out", actor="GRC")])
    alike = lean_outcomes(scen, SEEDS[:20], member_weighting=0.0)
    assert np.mean([o["event_observed"] for o in alike]) > collapsed_without("GRC").mean() + 0.3
