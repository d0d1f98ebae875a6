"""What each deciding government sees: the views the model builds for its turns.

Each function reads the state of a ``model.model.PaxSilicaModel`` (``m``); it imports
nothing of that module, so the schedule depends on its views and not the other way round.

A view holds public data and the actor's own state, never another actor's hidden state
(a state's grievance threshold, say); the rule-based actor and a player get the same
view (``agents.policy``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
from mesa import Model

from agents.china import max_controls
from agents.leader import invite_ready, may_invite
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
from agents.pressurer import CHINA
from agents.state import Snapshot, StateAgent, Status
from model import metrics

MEMBER, PARTICIPANT, DEFECTED, OUTSIDE = Status


def gains_if_joined(m: Model, rows: list[int]) -> np.ndarray:
    """What each non-member's signature would add (``rows``: their actor rows): covered
    and controlled phases and mean self-sufficiency, each as a share (the leader's
    invitation criterion), against the alliance as it stands. All candidates at once, as
    stacked blocs: the members plus one candidate each."""
    p, n = m.p, m.n_phases
    blocs = np.repeat(m.member_mask[None, :], len(rows), axis=0)
    blocs[np.arange(len(rows)), rows] = True
    vol, fro = m.volume_share, m.frontier_share
    suff = metrics.self_sufficiency(vol, blocs, p["alliance_demand_share"])
    covered = metrics.covered(vol, blocs, p["coverage_threshold"])
    controlled = metrics.controlled(fro, blocs, p["control_margin"])
    return (
        (covered.sum(axis=1) - m.covered_phases) / n
        + (controlled.sum(axis=1) - m.controlled_phases) / n
        + (suff.mean(axis=1) - m.self_sufficiency.mean())
    )


def _once(f: Callable[[], Any]) -> Callable[[], Any]:
    """``f``, called the first time it is asked for and remembered (``functools.cache``
    does the same for a function of nothing, at ten times the cost of making it: this is
    made twice every quarter)."""
    box: list = []

    def read() -> Any:
        if not box:
            box.append(f())
        return box[0]

    return read


def leader_view(m: Model, lazy: bool = False) -> LeaderView:
    """What the US sees at the start of the quarter (for its policy, or a player).

    ``lazy``: price the candidates' signatures and sound them out only when a decider
    reads them (``agents.policy.Candidate``) -- for the model's own rule, which decides
    before anything moves; a view handed to a player or kept for display is priced now."""
    p, t = m.p, m.steps
    invite_now = may_invite(
        p["invitations"],
        m.credibility,
        p["invite_credibility"],
        t,
        m.last_invite,
        p["invite_interval"],
    )
    candidates = []
    if invite_now:
        open_to = [
            s
            for s in m.non_rivals
            if s.status in (PARTICIPANT, OUTSIDE) or (s.status == DEFECTED and s.may_decide())
        ]
        if open_to:
            gains = _once(lambda: gains_if_joined(m, [s.row for s in open_to]))
            # (join_balance reads no peers: the snapshot is built without them)
            snap = _once(lambda: m.snapshot(peers=False))
            cp, pp = m.commitment_params, m.pressure_params

            def gain(i: int) -> float:
                return float(gains()[i])

            def sounding(s: StateAgent) -> float:
                return s.join_balance(snap(), cp, pp) - cp.join_threshold

            interval = p["invite_interval"]
            candidates = [
                Candidate(
                    s.code,
                    s.name,
                    partial(gain, i),
                    refusals=s.refusals,
                    sounding=partial(sounding, s),
                    ready=invite_ready(s.refusals, s.last_refusal, t, interval),
                )
                for i, s in enumerate(open_to)
            ]
            if not lazy:
                for c in candidates:
                    c.gain, c.sounding  # noqa: B018  (priced now: the state may move on)
    members = [
        MemberInfo(s.code, s.name, s.actor.gdp_usd_bn, s.grievance / max(s.threshold, 1e-9))
        for s in m.allies
        if s.status == MEMBER
    ]
    return LeaderView(
        quarter=t,
        when=m.when(t),
        credibility=m.credibility,
        side_payment_budget=p["side_payment_budget"],
        side_payment_targets=p["side_payment_targets"],
        investment_budget=p["leader_investment"] + p["refining_investment"],
        leader_investment=p["leader_investment"],
        refining_investment=p["refining_investment"],
        refining_investors=list(p["refining_investors"]),
        bottleneck=m.bottleneck,
        members=members,
        candidates=candidates,
        may_invite=invite_now,
        truce_active=m.truce_left > 0,
        china_escalation=m.escalation,
        controlled_phases=m.controlled_phases,
        price_index=m.price_index,
        n_phases=m.n_phases,
        refining_phase=m.refining + 1,
        truce_acceptance=p["truce_acceptance"],
    )


def china_view(m: Model, targets: list[Target], truce: bool) -> ChinaView:
    """What Beijing sees at the start of the coercion phase (public data only)."""
    p = m.p
    return ChinaView(
        quarter=m.steps,
        when=m.when(),
        budget=0.0 if truce else m.pressurers[CHINA].budget(m.pressure_params, m.escalation),
        max_per_target=p["max_pressure_per_target"],
        escalation=m.escalation,
        max_controls=max_controls(m.escalation, m.escalation_params, truce),
        inducement_share=p["inducement_share"],
        truce_active=truce,
        spent_last_three=sum(m.china_spent[-3:]),
        members_peeled=m.members_peeled,
        truce_cost=m.truce_cost,
        control_cost=p["control_cost"],
        deterrence=p["chokepoint_deterrence"],
        cost_unit=p["denial_cost_unit"],
        targets=targets,
        alliance_refining_share=m.refining_share,
        credibility=m.credibility,
    )


def pressurer_view(
    m: Model, pid: str, targets: list[Target], follow: list[str] | None
) -> PressurerView:
    """What Russia, Brazil or the EU sees when choosing whom to pressure."""
    p = m.p
    return PressurerView(
        actor=pid,
        name=m.by_id[pid].name if pid in m.by_id else pid,
        quarter=m.steps,
        when=m.when(),
        budget=m.pressurers[pid].budget(m.pressure_params, m.escalation),
        max_per_target=p["max_pressure_per_target"],
        deterrence=p["chokepoint_deterrence"],
        cost_unit=p["denial_cost_unit"],
        targets=targets,
        china_ranking=follow,
        credibility=m.credibility,
    )


def member_view(m: Model, s: StateAgent, snap: Snapshot, advice: Decision) -> MemberView:
    """What a state's government sees when it decides (its own mood included)."""
    cp, pp = m.commitment_params, m.pressure_params
    member = s.status == MEMBER
    options = (Decision.STAY, Decision.LEAVE) if member else (Decision.JOIN, Decision.STAY_OUT)
    return MemberView(
        actor=s.code,
        name=s.name,
        quarter=m.steps,
        when=m.when(),
        status=s.status,
        invited=s.invited,
        grievance=s.grievance,
        threshold=s.threshold,
        benefit=s.benefit(snap, cp),
        pains=s.pain(snap, cp),
        pressure_received=dict(s.pressure_received),
        side_payment=s.side_payment,
        inflow=s.inflow,
        peers_left=snap.defected_tie_share.get(s.unique_id, 0.0),
        join_balance=0.0 if member else s.join_balance(snap, cp, pp),
        credibility=m.credibility,
        secure_supply=snap.secure_supply,
        price_index=m.price_index,
        members=m.members,
        options=options,
        advice=advice,
    )
