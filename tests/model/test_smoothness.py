"""No knife-edges (issue 12, point 4): +/-5% on any of the five most influential
behavioural parameters moves collapse by at most 0.15.

Under sustained pressure (the ``sustained_pressure`` preset: twice the 2025 level, no
truce), where collapse is neither rare nor certain, 200 seeded replications a point
(seeds 1000-1199, the same for every point). Why 200: every comparison shares one default
point, and with 60 runs its sampling error (a standard error of about 0.06 near 0.4) is
of the order of the bound itself: on one held-out set of 60 the default sat high and the
worst move read 0.22, where 200 runs of the same set give 0.13. The five are those
`experiments/response_curves.py` ranks first (docs/response_curves.md, on seeds
5000-5059). Before issue 12, `supply_benefit` -5% /
default / +5% gave baseline collapse 0.68 / 0.57 / 0.03.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from model.params import defaults
from tests.replications import lean_outcomes

SEEDS = range(1000, 1200)
MOST_INFLUENTIAL = (
    "defection_threshold",
    "market_denial_effect",
    "supply_benefit",
    "max_pressure_per_target",
    "bottleneck_weight",
)


@cache
def collapse(name: str | None = None, factor: float = 1.0) -> float:
    overrides = {} if name is None else {name: defaults()[name] * factor}
    runs = lean_outcomes("sustained_pressure", SEEDS, **overrides)
    return float(np.mean([o["event_observed"] for o in runs]))


def test_collapse_under_stress_is_neither_rare_nor_certain():
    assert 0.1 <= collapse() <= 0.9


@pytest.mark.parametrize("name", MOST_INFLUENTIAL)
def test_five_percent_moves_collapse_by_at_most_0_15(name):
    for factor in (0.95, 1.05):
        assert abs(collapse(name, factor) - collapse()) <= 0.15, (name, factor)
