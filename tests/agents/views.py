"""Views and targets built by hand for the rules' unit tests: one set of defaults, which
each test overrides where its case needs (``leader_view(credibility=0.2)``)."""

from __future__ import annotations

import dataclasses

from agents.policy import (
    Candidate,
    ChinaView,
    Decision,
    LeaderView,
    MemberInfo,
    MemberView,
    PressurerView,
    Target,
)
from agents.records import Actor


def target(id, value=0.2, exposure=5.0, resistance=0.3, gdp=1000.0, chokepoints=0.0) -> Target:
    return Target(id, id, value, exposure, resistance, gdp, chokepoints)


def member(id, strain, gdp=1000.0) -> MemberInfo:
    return MemberInfo(id, id, gdp, strain)


def leader_view(**changes) -> LeaderView:
    values = dict(
        quarter=1,
        when="2026 Q2",
        credibility=0.6,
        side_payment_budget=2.0,
        side_payment_targets=2,
        investment_budget=5.0,
        leader_investment=1.0,
        refining_investment=1.0,
        refining_investors=["USA"],
        bottleneck=4,
        members=[MemberInfo("JPN", "Japan", 4000.0, 0.5), MemberInfo("KOR", "Korea", 1700.0, 0.2)],
        candidates=[Candidate("IND", "India", 0.2)],
        may_invite=True,
        truce_active=False,
        china_escalation=1.0,
        controlled_phases=3,
        price_index=1.0,
        n_phases=8,
        refining_phase=2,
    )
    values.update(changes)
    return LeaderView(**values)


def china_view(**changes) -> ChinaView:
    values = dict(
        quarter=1,
        when="2026 Q2",
        budget=2.0,
        max_per_target=1.25,
        escalation=1.0,
        max_controls=0.0,
        inducement_share=0.3,
        truce_active=False,
        spent_last_three=0.0,
        truce_cost=30.0,
        members_peeled=0,
        control_cost=5.0,
        deterrence=1.0,
        cost_unit=10_000.0,
        targets=[target("JPN", 0.3), target("KOR", 0.25)],
        alliance_refining_share=0.1,
        credibility=0.6,
    )
    values.update(changes)
    return ChinaView(**values)


def pressurer_view(**changes) -> PressurerView:
    values = dict(
        actor="RUS",
        name="Russia",
        quarter=1,
        when="2026 Q2",
        budget=0.3,
        max_per_target=1.25,
        deterrence=1.0,
        cost_unit=10_000.0,
        targets=[target("JPN", 0.3), target("KOR", 0.25)],
        china_ranking=None,
        credibility=0.6,
    )
    values.update(changes)
    return PressurerView(**values)


def member_view(**changes) -> MemberView:
    values = dict(
        actor="JPN",
        name="Japan",
        quarter=1,
        when="2026 Q2",
        status="member",
        invited=False,
        grievance=0.5,
        threshold=3.0,
        benefit=0.4,
        pains={"pressure": 0.1, "price": 0.0, "reversal": 0.0},
        pressure_received={"CHN": 1.0},
        side_payment=0.0,
        inflow=0.0,
        peers_left=0.0,
        join_balance=0.0,
        credibility=0.6,
        secure_supply=0.5,
        price_index=1.0,
        members=9,
        options=(Decision.STAY, Decision.LEAVE),
        advice=Decision.STAY,
    )
    values.update(changes)
    return MemberView(**values)


def actor(**changes) -> Actor:
    """A state like Japan, with the given figures changed."""
    base = Actor(
        id="JPN",
        name="Japan",
        short_name="Japan",
        adjective="Japanese",
        kind="state",
        region="Asia",
        gdp_usd_bn=4000.0,
        exports_to_china_pct_gdp=4.0,
        exports_to_eu_pct_gdp=2.0,
        exports_to_russia_pct_gdp=0.2,
        exports_to_brazil_pct_gdp=0.1,
        energy_from_russia_pct_gdp=0.1,
        minerals_from_brazil_pct_gdp=0.07,
        us_security_tie=1.0,
        sovereign_fund_usd_bn=0.0,
    )
    return dataclasses.replace(base, **changes)
