"""Who decides for an actor: its rule-based government, or a player.

Each quarter the model gives a deciding actor a *view* -- what that government could
see, never hidden state such as another state's grievance threshold -- and takes back a
*choice*. Four kinds of actor decide:

* the leader (the US): side payments, invitations, public investment, a truce
  (``LeaderView`` / ``LeaderChoice``, rules ``RuleBasedLeader``);
* China: pressure by target, inducements, export controls, a truce (``ChinaView`` /
  ``ChinaChoice``, ``RuleBasedChina``);
* the other pressurers (Russia, Brazil, the EU once it turns): pressure by target within
  their budget (``PressurerView`` / ``PressurerChoice``, ``RuleBasedPressurer``);
* a state: a member stays or leaves, a non-member signs or stays out
  (``MemberView`` / ``MemberChoice``, ``RuleBasedMember``), seeing its own grievance.

The rule-based classes are the model's own rules; a human player (``pax-silica play``, the
app, a classroom seat) or a script supplies choices through the same interface. Every
choice is checked against the same budgets and rules the rule-based actor has
(``check_leader``, ``check_china``, ``check_pressurer``, ``check_member``); a choice
outside them raises ``PolicyError`` with one clear message, and nothing is applied.

The model asks for decisions in *rounds* (:class:`Turn` lists): the US, then China, then
the other pressurers together, then the states together. Decisions within a round are
independent of each other, so a classroom can collect them in any order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

from agents.pressurer import Pressurer, Target, control_stringency, rule_allocation

REFINING_PHASE = 2


class PolicyError(ValueError):
    """A player's choice the rules do not allow; ``field`` names the lever."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = message


# --- the leader -------------------------------------------------------------------------
@dataclass(frozen=True)
class MemberInfo:
    """A member as the US sees it: strain is grievance over threshold, the diplomats'
    estimate of how close it is to leaving."""

    id: str
    name: str
    gdp_usd_bn: float
    strain: float


@dataclass(frozen=True)
class Candidate:
    """A non-member the US could invite, and what its signature would add."""

    id: str
    name: str
    gain: float


@dataclass(frozen=True)
class LeaderView:
    quarter: int
    when: str
    credibility: float
    side_payment_budget: float
    side_payment_targets: int
    investment_budget: float
    leader_investment: float
    refining_investment: float
    refining_investors: list[str]
    bottleneck: int  # phase id
    members: list[MemberInfo]
    candidates: list[Candidate]
    may_invite: bool
    truce_active: bool
    china_escalation: float
    controlled_phases: int
    price_index: float


@dataclass
class LeaderChoice:
    """The US levers for one quarter.

    side_payments: member id -> US$bn; invite: a candidate id or None; investments:
    (member id, phase id, US$bn) public projects; truce: agree a truce with China (a deal
    over the allies' heads, which costs credibility)."""

    side_payments: dict[str, float] = field(default_factory=dict)
    invite: str | None = None
    investments: list[tuple[str, int, float]] = field(default_factory=list)
    truce: bool = False


class LeaderPolicy(Protocol):
    def decide(self, view: LeaderView) -> LeaderChoice: ...


class RuleBasedLeader:
    """The model's own US: side payments to the most strained members in proportion to
    strain, an invitation to whoever would add most, CHIPS-like money into the
    bottleneck and the refinery push into refining; never a truce."""

    def decide(self, view: LeaderView) -> LeaderChoice:
        pays: dict[str, float] = {}
        strained = sorted(
            (m for m in view.members if m.strain > 0), key=lambda m: (-m.strain, m.id)
        )[: view.side_payment_targets]
        total = sum(m.strain for m in strained)
        if view.side_payment_budget > 0 and total > 0:
            pays = {m.id: view.side_payment_budget * m.strain / total for m in strained}
        invite = None
        if view.may_invite:
            best = sorted((c for c in view.candidates if c.gain > 0), key=lambda c: (-c.gain, c.id))
            invite = best[0].id if best else None
        investments = []
        if view.leader_investment > 0:
            investments.append(("USA", view.bottleneck, view.leader_investment))
        builders = [
            a for a in view.refining_investors if a in {m.id for m in view.members} or a == "USA"
        ]
        if view.refining_investment > 0 and builders:
            share = view.refining_investment / len(builders)
            investments += [(a, REFINING_PHASE, share) for a in builders]
        return LeaderChoice(side_payments=pays, invite=invite, investments=investments)


def _amount(v, field: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
        raise PolicyError(field, f"expected a non-negative amount in US$bn, got {v!r}")
    return float(v)


def check_leader(choice: LeaderChoice, view: LeaderView) -> None:
    """Raise PolicyError if the choice breaks a budget or a rule."""
    members = {m.id for m in view.members} | {"USA"}
    total = 0.0
    for who, amount in choice.side_payments.items():
        if who not in members or who == "USA":
            raise PolicyError(
                "side_payments",
                f"{who!r} is not a member the US can pay; expected one of "
                f"{', '.join(sorted(members - {'USA'}))}",
            )
        total += _amount(amount, f"side_payments[{who}]")
    if total > view.side_payment_budget + 1e-9:
        raise PolicyError(
            "side_payments",
            f"US${total:.2f}bn is over the budget of US${view.side_payment_budget:.2f}bn",
        )
    if choice.invite is not None:
        if not view.may_invite:
            raise PolicyError(
                "invite",
                "no invitation possible this quarter (credibility "
                "too low, invitations off, or one too recent)",
            )
        if choice.invite not in {c.id for c in view.candidates}:
            raise PolicyError(
                "invite",
                f"{choice.invite!r} cannot be invited; expected one "
                f"of {', '.join(c.id for c in view.candidates)}",
            )
    total = 0.0
    for i, item in enumerate(choice.investments):
        if not (isinstance(item, tuple | list) and len(item) == 3):
            raise PolicyError(f"investments[{i}]", "expected (member, phase, US$bn)")
        who, phase, amount = item
        if who not in members:
            raise PolicyError(f"investments[{i}]", f"{who!r} is not a member")
        if isinstance(phase, bool) or not isinstance(phase, int) or not 1 <= phase <= 12:
            raise PolicyError(f"investments[{i}]", f"expected a phase 1-12, got {phase!r}")
        total += _amount(amount, f"investments[{i}]")
    if total > view.investment_budget + 1e-9:
        raise PolicyError(
            "investments",
            f"US${total:.2f}bn is over the budget of US${view.investment_budget:.2f}bn",
        )
    if choice.truce and view.truce_active:
        raise PolicyError("truce", "a truce is already in force")


# --- China ------------------------------------------------------------------------------
# A member as Beijing (or Moscow, Brasilia, Brussels) sees it is ``agents.pressurer.Target``
# (id, name, value to the alliance, exposure, resistance, GDP, chokepoints; public data).
@dataclass(frozen=True)
class ChinaView:
    quarter: int
    when: str
    budget: float
    max_per_target: float
    escalation: float
    max_controls: float
    inducement_share: float
    truce_active: bool
    spent_last_three: float
    truce_cost: float
    control_cost: float
    deterrence: float
    targets: list[Target]
    alliance_refining_share: float
    credibility: float


@dataclass
class ChinaChoice:
    """China's levers for one quarter.

    pressure: member id -> units (insertion order is the priority order allies follow
    in a counter-alliance); inducement_share: share of units spent on carrots; controls:
    export-control stringency on refined inputs; truce: seek a truce from next quarter;
    ranking: optional full priority order for allies (defaults to pressure's order)."""

    pressure: dict[str, float] = field(default_factory=dict)
    inducement_share: float = 0.3
    controls: float = 0.0
    truce: bool = False
    ranking: list[str] | None = None


class ChinaPolicy(Protocol):
    def decide(self, view: ChinaView) -> ChinaChoice: ...


class RuleBasedChina:
    """The model's own China: targets by expected damage per unit of cost, controls once
    escalated, a truce when a year's pressure has cost ``truce_cost``."""

    def decide(self, view: ChinaView) -> ChinaChoice:
        if view.truce_active:
            return ChinaChoice(inducement_share=view.inducement_share)
        pr = Pressurer("CHN")
        ranked = pr.rank(view.targets, view.deterrence)
        alloc = pr.allocate(ranked, view.budget, view.max_per_target)
        pressure = {tg.id: u for tg, u in alloc}
        spent = sum(pressure.values()) + view.control_cost * view.max_controls
        truce = view.spent_last_three + spent >= view.truce_cost > 0
        return ChinaChoice(
            pressure=pressure,
            inducement_share=view.inducement_share,
            controls=view.max_controls,
            truce=truce,
            ranking=[t.id for t in ranked],
        )


def _check_pressure(
    pressure: Any,
    targets: list[Target],
    budget: float,
    max_per_target: float,
    who_presses: str,
    note: str = "",
) -> None:
    if not isinstance(pressure, dict):
        raise PolicyError(
            "pressure", f"expected a mapping of member -> units, got {type(pressure).__name__}"
        )
    ids = {t.id for t in targets}
    total = 0.0
    for who, units in pressure.items():
        if who not in ids:
            raise PolicyError(
                "pressure",
                f"{who!r} is not a member {who_presses} can "
                f"target; expected one of "
                f"{', '.join(sorted(ids)) or 'none'}",
            )
        if (
            isinstance(units, bool)
            or not isinstance(units, int | float)
            or not math.isfinite(units)
            or units < 0
        ):
            raise PolicyError(f"pressure[{who}]", f"expected non-negative units, got {units!r}")
        if units > max_per_target + 1e-9:
            raise PolicyError(
                f"pressure[{who}]",
                f"{units:g} units is over the {max_per_target:g} allowed per target",
            )
        total += units
    if total > budget + 1e-9:
        raise PolicyError("pressure", f"{total:g} units is over the budget of {budget:g}" + note)


def check_china(choice: ChinaChoice, view: ChinaView) -> None:
    """Raise PolicyError if the choice breaks a budget or a rule."""
    _check_pressure(
        choice.pressure,
        view.targets,
        view.budget,
        view.max_per_target,
        "China",
        " (truce in force)" if view.truce_active else "",
    )
    s = choice.inducement_share
    if isinstance(s, bool) or not isinstance(s, int | float) or not 0.0 <= s <= 1.0:
        raise PolicyError("inducement_share", f"expected a share in [0, 1], got {s!r}")
    c = choice.controls
    if isinstance(c, bool) or not isinstance(c, int | float) or not 0.0 <= c <= 1.0:
        raise PolicyError("controls", f"expected a stringency in [0, 1], got {c!r}")
    if c > view.max_controls + 1e-9:
        raise PolicyError(
            "controls",
            f"stringency {c:g} is over the {view.max_controls:g} "
            f"allowed at escalation {view.escalation:.2f}",
        )
    if choice.truce and view.truce_active:
        raise PolicyError("truce", "a truce is already in force")


def max_controls(escalation: float, p: dict, truce: bool) -> float:
    """The strictest export controls China's rules allow at this escalation."""
    return 0.0 if truce else control_stringency(escalation, p)


# --- the other pressurers ---------------------------------------------------------------
@dataclass(frozen=True)
class PressurerView:
    """What Moscow, Brasilia or Brussels (once it turns) sees when it chooses whom to
    pressure. ``china_ranking`` is China's priority order when the pressurers coordinate
    (a counter-alliance), else None."""

    actor: str
    name: str
    quarter: int
    when: str
    budget: float
    max_per_target: float
    deterrence: float
    targets: list[Target]
    china_ranking: list[str] | None
    credibility: float


@dataclass
class PressurerChoice:
    """pressure: member id -> units of pressure this quarter."""

    pressure: dict[str, float] = field(default_factory=dict)


class RuleBasedPressurer:
    """The model's own rule: follow China's ranking in a counter-alliance, else rank by
    expected damage per unit of cost; spend the budget down the ranking."""

    def decide(self, view: PressurerView) -> PressurerChoice:
        return PressurerChoice(
            rule_allocation(
                Pressurer(view.actor),
                view.targets,
                view.budget,
                view.max_per_target,
                view.deterrence,
                view.china_ranking,
            )
        )


def check_pressurer(choice: PressurerChoice, view: PressurerView) -> None:
    """Raise PolicyError if the choice breaks the budget or targets a non-member."""
    _check_pressure(choice.pressure, view.targets, view.budget, view.max_per_target, view.name)


# --- a state ----------------------------------------------------------------------------
STAY, LEAVE, JOIN, STAY_OUT = "stay", "leave", "join", "stay out"


@dataclass(frozen=True)
class MemberView:
    """What a state's own government sees in the commitment phase: its own grievance
    and breaking point (its mood at home, hidden from everyone else), what pulled and
    pushed it this quarter, and what the alliance looks like.

    ``options`` are the moves open to it; ``advice`` is what the model's rule would do."""

    actor: str
    name: str
    quarter: int
    when: str
    status: str  # member, participant, defected, outside
    invited: bool
    grievance: float
    threshold: float
    benefit: float  # credibility-discounted benefit of membership this quarter
    pains: dict[str, float]  # pain by source this quarter (pressure, price, reversal)
    pressure_received: dict[str, float]  # pressurer id -> units
    side_payment: float  # US$bn
    inflow: float  # US$bn of new investment
    peers_left: float  # tie-weighted share of peers who left
    join_balance: float  # for a non-member: net benefit it expects from signing
    credibility: float
    secure_supply: float
    price_index: float
    members: int
    options: tuple[str, ...]
    advice: str


@dataclass
class MemberChoice:
    """``action``: "stay" or "leave" for a member; "join" or "stay out" otherwise."""

    action: str


class RuleBasedMember:
    """The model's own commitment rule (``agents.state.StateAgent.decide``), which the
    view carries as its advice."""

    def decide(self, view: MemberView) -> MemberChoice:
        return MemberChoice(view.advice)


def check_member(choice: MemberChoice, view: MemberView) -> None:
    """Raise PolicyError unless the action is one of the view's options."""
    if choice.action not in view.options:
        raise PolicyError(
            "action",
            f"expected one of {', '.join(map(repr, view.options))} "
            f"for {view.name} ({view.status}), got {choice.action!r}",
        )


@dataclass(frozen=True)
class Turn:
    """One decision the model asks for: ``actor`` decides, seeing ``view``."""

    actor: str
    kind: str  # "leader", "china", "pressurer", "member"
    view: Any


RULES = {
    "leader": RuleBasedLeader,
    "china": RuleBasedChina,
    "pressurer": RuleBasedPressurer,
    "member": RuleBasedMember,
}
CHECKS = {
    "leader": check_leader,
    "china": check_china,
    "pressurer": check_pressurer,
    "member": check_member,
}


def rule_choice(turn: Turn) -> Any:
    """What the actor's rule-based government would choose in this turn."""
    return RULES[turn.kind]().decide(turn.view)


def check(turn: Turn, choice: Any) -> None:
    """Check a choice for a turn (type and rules); raise PolicyError if it is refused."""
    expected = {
        "leader": LeaderChoice,
        "china": ChinaChoice,
        "pressurer": PressurerChoice,
        "member": MemberChoice,
    }[turn.kind]
    if not isinstance(choice, expected):
        raise PolicyError(turn.kind, f"expected a {expected.__name__}, got {type(choice).__name__}")
    CHECKS[turn.kind](choice, turn.view)
