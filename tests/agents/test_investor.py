"""The investors' rules (agents/investor.py), on a small population owned by a bare Mesa
model (no Pax Silica model is built)."""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.investor import (
    InvestorParams,
    InvestorPopulation,
    InvestorType,
    MarketView,
    project_weights,
)
from model.params import defaults

SETTINGS = settings(deadline=None, derandomize=True, database=None, max_examples=40)
share = st.floats(0.0, 1.0)

N_PHASES = 5
UPSTREAM = slice(0, 2)  # mining and refining
TYPES = (
    InvestorType("patient", 0.5, "gulf", 0.04, 0.5, 0.1, 0.1, 0.9),
    InvestorType("nervous", 0.5, "private", 0.07, 2.0, 0.2, 0.3, 0.8),
)


def population(n=10, seed=0, **changes) -> InvestorPopulation:
    p = defaults() | changes
    pop = InvestorPopulation(
        mesa.Model(rng=seed), n, p, N_PHASES, np.random.default_rng(seed), TYPES, UPSTREAM
    )
    pop.set_lags(np.array([2, 3, 1, 1, 2]))
    return pop


def view(price=1.0, sufficiency=None, vol=0.0, credibility=0.6, quarter=1, gap=1.0) -> MarketView:
    rows = np.array([0, 3, 5])
    return MarketView(
        credibility=credibility,
        self_sufficiency=np.full(N_PHASES, 0.5) if sufficiency is None else sufficiency,
        price_index=price,
        volatility=vol,
        refining_gap=gap,
        member_rows=rows,
        member_weights=project_weights(np.ones((rows.size, N_PHASES)), 0.1),
        quarter=quarter,
    )


POP = population()
IP = POP.params


# --- project_weights -------------------------------------------------------------------------
def test_project_weights_add_a_floor_so_empty_phases_can_start():
    cap = np.array([[0.0, 2.0], [1.0, 0.0]])
    w = project_weights(cap, 0.05)
    assert w == pytest.approx(cap + 0.05)
    assert (w > 0).all()
    assert (project_weights(cap, 0.0) == cap).all()


# --- phase_returns ---------------------------------------------------------------------------
def test_phase_returns_without_high_prices_are_base_plus_scarcity():
    suff = np.array([0.0, 0.5, 1.0, 0.2, 1.5])
    for price in (0.8, 1.0):
        got = POP.phase_returns(view(price, suff))
        assert got == pytest.approx(IP.base_return * (1.0 + IP.scarcity_premium * (1.0 - suff)))


def test_high_prices_pay_upstream_and_cost_downstream_on_the_refining_gap():
    suff = np.full(N_PHASES, 0.4)
    premium = IP.base_return * IP.price_premium * 0.5
    for gap in (0.0, 0.3, 1.0):
        calm = POP.phase_returns(view(1.0, suff, gap=gap))
        high = POP.phase_returns(view(1.5, suff, gap=gap))
        assert high[UPSTREAM] == pytest.approx(calm[UPSTREAM] + premium)
        assert high[2:] == pytest.approx(calm[2:] - premium * gap)
    assert premium > 0
    # An alliance that refines all it needs (gap 0) shields its fabs from China's prices.
    assert POP.phase_returns(view(1.5, suff, gap=0.0))[2:] == pytest.approx(
        POP.phase_returns(view(1.0, suff, gap=0.0))[2:]
    )


@SETTINGS
@given(s1=share, s2=share, p1=st.floats(0.5, 3.0), p2=st.floats(0.5, 3.0))
def test_phase_returns_rise_with_scarcity_and_upstream_with_prices(s1, s2, p1, p2):
    lo, hi = sorted((s1, s2))
    scarce = POP.phase_returns(view(1.0, np.full(N_PHASES, lo)))
    ample = POP.phase_returns(view(1.0, np.full(N_PHASES, hi)))
    assert (scarce >= ample - 1e-12).all()
    cheap, dear = sorted((p1, p2))
    a = POP.phase_returns(view(cheap))
    b = POP.phase_returns(view(dear))
    assert (b[UPSTREAM] >= a[UPSTREAM] - 1e-12).all()
    assert (b[2:] <= a[2:] + 1e-12).all()  # dear inputs cost the phases downstream


# --- expected_return -------------------------------------------------------------------------
def test_expected_return_formula():
    belief = np.full(POP.n, 0.7)
    returns = np.full(POP.n, 0.1)
    got = POP.expected_return(belief, returns, 0.05)
    expected = 0.7 * 0.1 - 0.3 * IP.collapse_loss - 0.5 * POP.risk_aversion * (2 * 0.05) ** 2
    assert got == pytest.approx(expected)


@SETTINGS
@given(b1=share, b2=share, v1=st.floats(0.0, 0.5), v2=st.floats(0.0, 0.5), r=st.floats(0.0, 0.5))
def test_expected_return_falls_with_volatility_and_with_lower_belief(b1, b2, v1, v2, r):
    returns = np.full(POP.n, r)
    blo, bhi = sorted((b1, b2))
    vlo, vhi = sorted((v1, v2))
    calm = POP.expected_return(np.full(POP.n, bhi), returns, vlo)
    assert (POP.expected_return(np.full(POP.n, bhi), returns, vhi) <= calm + 1e-12).all()
    assert (POP.expected_return(np.full(POP.n, blo), returns, vlo) <= calm + 1e-12).all()


def test_expected_return_risk_charge_grows_with_risk_aversion():
    er = POP.expected_return(np.full(POP.n, 0.8), np.full(POP.n, 0.1), 0.1)
    order = np.argsort(POP.risk_aversion)
    assert np.all(np.diff(er[order]) <= 1e-12)
    assert POP.risk_aversion.min() < POP.risk_aversion.max()


# --- a quarter: step and mature --------------------------------------------------------------
def conserved(pop: InvestorPopulation) -> None:
    held = pop.idle + pop.pipeline + pop.built + pop.stranded
    assert held == pytest.approx(pop.capital)
    assert pop.committed() == pytest.approx(pop.pipeline.sum() + pop.built.sum())
    assert pop.total_capital == pytest.approx(pop.capital.sum())


def test_step_commits_a_tranche_to_a_members_project_and_conserves_capital():
    pop = population(n=20, seed=4, initial_credibility=1.0, signal_noise_scale=0.0)
    gone = np.zeros(8, dtype=bool)
    flows = pop.step(view(price=1.5, credibility=1.0), np.random.default_rng(1), gone)
    conserved(pop)
    assert flows["inv"].size > 0  # sure of the alliance, some invest
    assert set(flows["rows"].tolist()) <= {0, 3, 5}  # only in member rows
    assert (flows["amounts"] <= IP.commit_fraction * pop.capital[flows["inv"]] + 1e-12).all()
    assert pop.pipeline[flows["inv"]] == pytest.approx(flows["amounts"])
    assert flows["stranded"] == 0.0


def test_step_nobody_invests_without_belief():
    pop = population(n=20, seed=4, initial_credibility=0.0, signal_noise_scale=0.0)
    flows = pop.step(view(credibility=0.0), np.random.default_rng(1), np.zeros(8, dtype=bool))
    assert flows["inv"].size == 0
    assert pop.committed() == 0.0
    conserved(pop)


def test_step_withdraws_from_a_defected_host_and_strands_a_share():
    pop = population(n=20, seed=4, initial_credibility=1.0, signal_noise_scale=0.0)
    rng = np.random.default_rng(1)
    flows = pop.step(view(credibility=1.0), rng, np.zeros(8, dtype=bool))
    invested = flows["inv"]
    assert invested.size > 0
    pipeline = pop.pipeline.copy()
    gone = np.zeros(8, dtype=bool)
    gone[[0, 3, 5]] = True  # every host has left
    flows = pop.step(view(credibility=1.0, quarter=2), rng, gone)
    assert pop.withdrew_now[invested].all()
    assert flows["stranded"] == pytest.approx(IP.strand_fraction * pipeline[invested].sum())
    assert pop.pipeline[invested] == pytest.approx(0.0)
    conserved(pop)


def test_mature_turns_due_projects_into_built_capital():
    pop = population(n=20, seed=4, initial_credibility=1.0, signal_noise_scale=0.0)
    flows = pop.step(view(credibility=1.0, quarter=1), np.random.default_rng(1), np.zeros(8, bool))
    due = pop.proj_due.copy()
    rows, phases, amounts = pop.mature(1)
    assert rows.size == 0  # nothing is due before its build lag
    rows, phases, amounts = pop.mature(10)
    assert amounts.sum() == pytest.approx(flows["amounts"].sum())
    assert set(phases.tolist()) == set(flows["phases"].tolist())
    assert (due[flows["inv"]] > 1).all()
    assert pop.pipeline.sum() == 0.0
    conserved(pop)


def test_investor_agent_reads_its_row():
    pop = population(n=10)
    agent = pop.agents[3]
    assert agent.capital == pytest.approx(pop.capital[3])
    assert agent.belief == pytest.approx(pop.belief[3])
    assert agent.kind == TYPES[pop.type_idx[3]].name
    assert agent.project_phase is None
    pop.proj_phase[3] = 2
    assert agent.project_phase == 3  # 1-based phase id


def test_investor_facades_are_made_only_when_looked_at():
    """A run that only steps the arrays makes no Mesa agents for its investors; the first
    look makes one per investor, once."""
    pop = population(n=10)
    assert len(pop.model.agents) == 0
    agents = pop.agents
    assert len(pop.model.agents) == 10 and pop.agents is agents
    assert [a.index for a in agents] == list(range(10))


def test_population_type_counts_and_params():
    pop = population(n=11)
    assert len(pop.agents) == 11
    assert np.bincount(pop.type_idx).sum() == 11
    assert pop.params == InvestorParams.of(defaults())
