"""Invariants that must hold for any parameters (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.state import Role, Status
from model.metrics import shares
from model.model import PaxSilicaModel

params = st.fixed_dictionaries(
    {
        "pressure_intensity": st.floats(0.0, 5.0),
        "leader_volatility": st.floats(0.0, 1.0),
        "gulf_capital": st.floats(0.0, 500.0),
        "private_capital": st.floats(0.0, 1000.0),
        "n_investors": st.integers(20, 300),
        "social_influence": st.floats(0.0, 20.0),
        "herding_scale": st.floats(0.0, 3.0),
        "political_noise": st.floats(0.0, 3.0),
        "counter_alliance": st.booleans(),
        "refining_investment": st.floats(0.0, 10.0),
        "strand_fraction": st.floats(0.0, 1.0),
        "initial_escalation": st.floats(1.0, 3.0),
        "steps": st.integers(1, 16),
    }
)


def check(m: PaxSilicaModel) -> None:
    for cap in (m.world.volume, m.world.frontier):
        assert np.isfinite(cap).all() and (cap >= 0).all()
        s = shares(cap)
        assert ((s >= 0) & (s <= 1 + 1e-12)).all()
        assert np.allclose(s.sum(axis=0), 1.0)
    inv = m.investors
    for arr in (inv.idle, inv.pipeline, inv.built, inv.stranded):
        assert np.isfinite(arr).all() and (arr >= -1e-9).all()
    total = inv.idle + inv.pipeline + inv.built + inv.stranded
    assert np.allclose(total, inv.capital, rtol=1e-9, atol=1e-9)
    assert 0.0 <= m.credibility <= 1.0 and np.isfinite(m.price_index)
    assert m.price_index > 0
    statuses = [s.status for s in m.states]
    assert set(statuses) <= {Status.MEMBER, Status.PARTICIPANT, Status.DEFECTED, Status.OUTSIDE}
    assert m.leader.status == Status.MEMBER
    assert m.members + m.participants + m.defectors + statuses.count(Status.OUTSIDE) == len(
        m.states
    )
    assert all(s.status != Status.MEMBER for s in m.states if s.role == Role.RIVAL)
    assert m.founding_members <= m.n_founding
    assert (m.member_mask == m.world.mask(m.member_ids())).all()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params, st.integers(0, 2**31 - 1))
def test_invariants_hold_every_quarter(p, seed):
    m = PaxSilicaModel("baseline", rng=seed, **p)
    check(m)
    while m.running:
        m.step()
        check(m)
    df = m.datacollector.get_model_vars_dataframe()
    assert not df.select_dtypes("number").isna().any().any()
    assert len(df) == p["steps"] + 1
    o = m.outcome()
    assert o["time_to_collapse"] <= p["steps"]
    assert o["survived"] == (o["collapse_quarter"] is None)


def test_investor_rows_are_recorded_only_when_asked_for():
    """With ``collect_investors`` each quarter records one row per investor (the façades
    are made for it); without it no investor agent exists at all."""
    from agents.investor import InvestorAgent

    m = PaxSilicaModel(rng=3, n_investors=25, steps=2, collect_investors=True)
    m.run()
    rows = m.datacollector.get_agenttype_vars_dataframe(InvestorAgent)
    assert len(rows) == 25 * 3  # the start and two quarters
    lean = PaxSilicaModel(rng=3, n_investors=25, steps=2, collect=False)
    lean.run()
    assert not any(isinstance(a, InvestorAgent) for a in lean.agents)


def test_the_quick_collector_records_what_mesas_own_records():
    """The model's collector (model/collector.py: Collector) gives the same frames as
    Mesa's DataCollector given the same reporters, quarter by quarter, for the model's
    series and for the states' and investors' rows."""
    import mesa

    from agents.investor import InvestorAgent
    from agents.state import StateAgent
    from model.collector import reporters

    m = PaxSilicaModel("counter_alliance", rng=11, n_investors=30, collect_investors=True)
    model_reporters, agenttype_reporters = reporters(m.n_phases, collect_investors=True)
    plain = mesa.DataCollector(
        model_reporters=model_reporters, agenttype_reporters=agenttype_reporters
    )
    dc = m.datacollector
    plain.collect(m)
    while m.running and m.steps < 12:
        m.step()
        plain.collect(m)
    assert dc.get_model_vars_dataframe().equals(plain.get_model_vars_dataframe())
    for kind in (StateAgent, InvestorAgent):
        ours = dc.get_agenttype_vars_dataframe(kind)
        assert len(ours) > 0
        assert ours.equals(plain.get_agenttype_vars_dataframe(kind))


def test_the_collectors_grouped_reads_equal_the_properties():
    """``status_counts`` and ``capital_sums`` (the collector reads each in one pass) give
    what the properties of the same names give, every quarter of runs where members
    leave, return and join (so every count moves)."""
    from model.collector import CAPITAL, STATUS_COUNTS

    moved = set()
    for scenario, seed in (("key_member_exit", 1), ("baseline", 0), ("credibility_crisis", 0)):
        m = PaxSilicaModel(scenario, rng=seed, n_investors=40, collect=False)
        while m.running:
            m.step()
            counts = m.status_counts()
            assert counts == tuple(getattr(m, k) for k in STATUS_COUNTS)
            assert m.capital_sums() == tuple(getattr(m, k) for k in CAPITAL)
            moved |= {k for k, v in zip(STATUS_COUNTS, counts, strict=True) if v}
    assert moved == set(STATUS_COUNTS)
