"""The leader (the United States) and its credibility.

Each quarter there is a chance of a disruptive policy reversal (:func:`reversal`) that
costs credibility and angers allies. The leader's deliberate levers -- side payments,
invitations, direct investment, a truce -- are chosen by a policy: the rule-based
:class:`RuleBasedLeader` or a player (``agents.policy``).

Credibility is the market's and the allies' belief that the US will see the alliance
through. It moves part of the way each quarter towards its *fundamentals* -- capital
committed, the share of phases the members control, the founding members still in
(:func:`update_credibility`) -- and jumps with events: down with a defection, a
reversal or a truce over the allies' heads, up with an accession (:func:`credibility_after`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.parameters import Parameters
from agents.policy import LeaderChoice, LeaderView


@dataclass(frozen=True, slots=True)
class CredibilityParams(Parameters):
    """How credibility moves (names as in parameters.toml)."""

    credibility_capital_half: float
    credibility_weight_capital: float
    credibility_weight_control: float
    credibility_weight_members: float
    credibility_adjustment: float


def reversal(rng: np.random.Generator, volatility: float) -> bool:
    """Whether the leader reverses course this quarter (chance ``volatility``)."""
    return bool(rng.random() < volatility)


def update_credibility(
    credibility: float,
    commit_ratio: float,
    controlled_phases: int,
    n_phases: int,
    founding_share: float,
    cp: CredibilityParams,
) -> float:
    """Credibility moves a share ``credibility_adjustment`` of the way to its fundamentals:
    capital committed (as a share of all capital, saturating with half-point
    ``credibility_capital_half``), the share of phases the members control, and the
    founders' weight still in (``founding_share``), weighted and summed."""
    half = cp.credibility_capital_half
    capital = commit_ratio / (commit_ratio + half) if half > 0 else 1.0
    fundamentals = (
        cp.credibility_weight_capital * capital
        + cp.credibility_weight_control * controlled_phases / n_phases
        + cp.credibility_weight_members * founding_share
    )
    moved = credibility + cp.credibility_adjustment * (fundamentals - credibility)
    return min(max(moved, 0.0), 1.0)


def defection_hit(base: float, weight: float, n_founders: int) -> float:
    """Credibility lost when a member leaves: ``base`` for a member of average weight
    among the ``n_founders`` founders (but the leader), scaled by the leaver's own weight
    (``agents.state.member_weights``). Any exit costs something; losing a member that
    carries phases costs far more than losing one that carries none."""
    return base * weight * n_founders


def credibility_after(credibility: float, change: float) -> float:
    """Credibility after an event that moves it by ``change`` (a defection, a reversal or
    a truce lower it; an accession raises it), kept within [0, 1]."""
    return min(max(credibility + change, 0.0), 1.0)


def may_invite(
    invitations: bool, credibility: float, bar: float, quarter: int, last: int, interval: int
) -> bool:
    """Whether the US can invite a state this quarter: invitations are on, its credibility
    is at least ``bar``, and ``interval`` quarters have passed since the last one."""
    return invitations and credibility >= bar and quarter - last >= interval


def invite_ready(refusals: int, last_refusal: int, quarter: int, interval: int) -> bool:
    """Whether the US asks a state again: after each refusal it waits twice as long as
    after the one before (``interval`` quarters after the first, then 2x, 4x ...): a
    government that has said no is asked again only once something may have changed."""
    return refusals == 0 or quarter - last_refusal >= interval * 2 ** (refusals - 1)


def invitation_value(gain: float, refusals: int) -> float:
    """What an invitation is worth to the US: what the state's signature would add,
    times the chance it accepts as the US reads it from the record, ``1 / (1 + refusals)``
    (Laplace's rule on one acceptance in prospect): a state that has declined twice is
    worth asking only if it would add three times as much."""
    return gain / (1.0 + refusals)


def accepts_truce(acceptance: float, escalation: float, truce_active: bool) -> bool:
    """Whether the US agrees a truce with China this quarter: its lever ``acceptance`` is
    set (above 0), China's escalation has reached it, and no truce is in force."""
    return acceptance > 0 and not truce_active and escalation >= acceptance


class RuleBasedLeader:
    """The model's own US: side payments to the most strained members in proportion to
    strain, an invitation to the ready candidate worth most (:func:`invitation_value`,
    :func:`invite_ready`) among those its diplomats find willing (``Candidate.sounding``),
    CHIPS-like money into the
    bottleneck and the refinery push into refining; a truce with China once its escalation
    reaches ``truce_acceptance`` (:func:`accepts_truce`; never at the default, 0)."""

    def decide(self, view: LeaderView) -> LeaderChoice:
        pays: dict[str, float] = {}
        strained = sorted(
            [m for m in view.members if m.strain > 0], key=lambda m: (-m.strain, m.id)
        )[: view.side_payment_targets]
        total = sum(m.strain for m in strained)
        if view.side_payment_budget > 0 and total > 0:
            pays = {m.id: view.side_payment_budget * m.strain / total for m in strained}
        invite = None
        if view.may_invite:
            best = sorted(
                [c for c in view.candidates if c.ready and c.sounding >= 0 and c.gain > 0],
                key=lambda c: (-invitation_value(c.gain, c.refusals), c.id),
            )
            invite = best[0].id if best else None
        investments = []
        if view.leader_investment > 0:
            investments.append(("USA", view.bottleneck, view.leader_investment))
        member_ids = {m.id for m in view.members}
        builders = [a for a in view.refining_investors if a in member_ids or a == "USA"]
        if view.refining_investment > 0 and builders:
            share = view.refining_investment / len(builders)
            investments += [(a, view.refining_phase, share) for a in builders]
        truce = accepts_truce(view.truce_acceptance, view.china_escalation, view.truce_active)
        return LeaderChoice(side_payments=pays, invite=invite, investments=investments, truce=truce)
