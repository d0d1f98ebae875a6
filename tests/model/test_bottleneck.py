"""The bottleneck binds (issue 12, point 3): refining, the paper's central point, moves
survival through the channels the paper names, and its effect is a dose-response.

Refining enters three rules, each tested on its own in tests/agents: what membership is
worth (``agents.state.secure_supply``: the controlled phases discounted by the refining
gap), the pain of China's controls (``StateAgent.pain``: prices on the refining gap) and
investors' returns downstream (``InvestorPopulation.phase_returns``). Here the whole
model: public money for refining, varied over its range with everything else held,
under the ``sustained_pressure`` condition (where collapse is neither rare nor certain),
80 seeded replications a point (seeds 1000-1079, the same at every point). Statistic:
the one-sided 95% lower bound (Welch) of the difference in members at the horizon, the
alliance's survival as a matter of degree; collapse shares must move the same way.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from model.model import PaxSilicaModel
from tests.replications import STRESS, lean_outcomes, mean_gap_lower

SEEDS = range(1000, 1080)
DOSES = (0.0, 4.0, 8.0)  # refining_investment, US$bn a quarter (refinery_push: 1.5)


@cache
def runs(**overrides) -> dict[str, np.ndarray]:
    out = lean_outcomes("baseline", SEEDS, **{**dict(STRESS), **overrides})
    return {k: np.array([o[k] for o in out], dtype=float) for k in out[0] if k != "collapse_reason"}


def test_more_public_refining_investment_builds_more_refining():
    shares = [runs(refining_investment=d)["final_refining_share"].mean() for d in DOSES]
    assert shares == sorted(shares) and shares[-1] > shares[0] + 0.2, shares


def test_building_refining_keeps_more_members_and_never_raises_collapse():
    members = {d: runs(refining_investment=d)["final_members"] for d in DOSES}
    collapse = {d: runs(refining_investment=d)["event_observed"] for d in DOSES}
    assert mean_gap_lower(members[DOSES[-1]], members[0.0]) > 0, {
        d: m.mean() for d, m in members.items()
    }
    means = [members[d].mean() for d in DOSES]
    assert means == sorted(means), means
    assert collapse[DOSES[-1]].mean() <= collapse[0.0].mean(), {
        d: c.mean() for d, c in collapse.items()
    }


def test_removing_public_refining_investment_lowers_survival():
    # The US's money for the bottleneck phase (leader_investment) goes to refining while
    # refining is the bottleneck; without it, and without the push, refining stays short.
    default = runs()
    none = runs(leader_investment=0.0, refining_investment=0.0)
    assert none["final_refining_share"].mean() < default["final_refining_share"].mean() / 2
    assert mean_gap_lower(default["final_members"], none["final_members"]) > 0, (
        none["final_members"].mean(),
        default["final_members"].mean(),
    )
    assert none["event_observed"].mean() > default["event_observed"].mean()


def test_without_the_bottleneck_rule_refining_does_not_raise_what_membership_is_worth():
    # The mechanism, not a correlation: with bottleneck_weight 0 (members value control
    # alone) the push still builds refining, but membership is worth no more for it.
    def worth(**overrides) -> float:
        m = PaxSilicaModel("baseline", rng=1000, collect=False, n_investors=200, **overrides)
        for _ in range(24):
            m.step()
        return m.snapshot().secure_supply / max(m.controlled_phases / m.n_phases, 1e-9)

    assert worth(bottleneck_weight=0.0) == 1.0
    assert worth(bottleneck_weight=0.0, refining_investment=8.0) == 1.0
    assert worth(refining_investment=8.0) > worth(refining_investment=0.0)


def test_refining_is_the_bottleneck_at_the_start_and_public_money_moves_it_on():
    # Over time: the quarters refining is the binding phase, from the collected series.
    def quarters_refining_binds(**overrides) -> float:
        n = []
        for seed in range(1000, 1020):
            m = PaxSilicaModel("baseline", rng=seed, n_investors=200, **overrides)
            m.run()
            series = m.datacollector.get_model_vars_dataframe()["bottleneck"]
            assert series.iloc[0] == 2  # refining binds before the first quarter
            n.append(int((series == 2).sum()))
        return float(np.mean(n))

    assert quarters_refining_binds(refining_investment=8.0) < quarters_refining_binds(
        leader_investment=0.0
    )
