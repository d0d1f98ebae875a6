"""Every preset's outcome differs from the baseline's (issue 12, point 7), in the outcome
the preset is about and in the direction its story says.

Each preset and the baseline run on the same 80 seeds (1000-1079); the test is a paired,
one-sided Wilcoxon signed-rank test at the 5% level on the one outcome named below for
that preset (stated before looking, so there is no choosing among outcomes). A preset
that changes nothing the model responds to fails here. The world-data alternatives
(``model/data/alternatives/refining_2019.toml``, ``leading_edge_2022.toml``) are not
presets: they are sensitivity checks of the data vintage, whose outcomes are meant to stay
close to the baseline's.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from scipy import stats

from model.scenario import preset_names
from tests.replications import lean_outcomes

SEEDS = range(1000, 1080)

# preset -> (outcome, "greater" or "less" than the baseline's)
EXPECTED = {
    "counter_alliance": ("final_members", "less"),
    "credibility_crisis": ("final_credibility", "less"),
    "escalation": ("final_members", "less"),
    "expansion": ("final_members", "greater"),
    "gulf_capital": ("final_capital_committed", "greater"),
    "invitation": ("final_capital_committed", "less"),  # each refusal costs credibility
    "key_member_exit": ("final_members", "less"),
    "refinery_push": ("final_refining_share", "greater"),
    "sustained_pressure": ("final_members", "less"),
    "truce": ("final_credibility", "less"),
}


@cache
def outcome(scenario: str, key: str) -> np.ndarray:
    return np.array([o[key] for o in lean_outcomes(scenario, SEEDS)], dtype=float)


def test_every_preset_but_the_baseline_states_what_it_changes():
    assert set(preset_names()) - {"baseline"} == set(EXPECTED)


@pytest.mark.parametrize("preset", sorted(EXPECTED))
def test_the_preset_moves_its_outcome_away_from_the_baseline(preset):
    key, side = EXPECTED[preset]
    here, base = outcome(preset, key), outcome("baseline", key)
    p = stats.wilcoxon(here, base, alternative=side).pvalue
    assert p < 0.05, (preset, key, here.mean(), base.mean(), p)
