"""The decision engine: who decides for an actor, what it sees, what it may choose.

Each quarter the model gives a deciding actor a *view* -- what that government could
see, never hidden state such as another state's grievance threshold -- and takes back a
*choice*. Four kinds of actor decide (:class:`Kind`):

* the leader (the US): side payments, invitations, public investment, a truce
  (``LeaderView`` / ``LeaderChoice``; its rule is ``agents.leader.RuleBasedLeader``);
* China: pressure by target, inducements, export controls, a truce (``ChinaView`` /
  ``ChinaChoice``; ``agents.china.RuleBasedChina``);
* the other pressurers (Russia, Brazil, the EU once it turns): pressure by target within
  their budget (``PressurerView`` / ``PressurerChoice``;
  ``agents.pressurer.RuleBasedPressurer``);
* a state: a member stays or leaves, a non-member joins or stays out (``MemberView`` /
  ``MemberChoice`` with a :class:`Decision`; ``agents.state.RuleBasedMember``), seeing its
  own grievance.

The model asks for decisions in *rounds* (lists of :class:`Turn`): the US, then China,
then the other pressurers together, then the states together. Decisions within a round
are independent of each other, so a classroom can collect them in any order. Who
answers a round is the model's :class:`Deciders` (a constructor argument): by default
each actor's rules or a given policy (``agents.rules.Policies``); a classroom's deciders
wait for its students. :func:`play_round` asks the deciders and checks every choice that
is not the model's own rule against the same budgets and rules the rule-based actor has
(``check_leader``, ``check_china``, ``check_pressurer``, ``check_member``); a choice
outside them raises ``PolicyError`` with one clear message, and nothing is applied.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class Kind(StrEnum):
    """The four kinds of deciding actor (a turn's kind)."""

    LEADER = "leader"
    CHINA = "china"
    PRESSURER = "pressurer"
    MEMBER = "member"


class Decision(StrEnum):
    """A state's move in the commitment phase: one vocabulary for members and others."""

    STAY = "stay"  # a member stays
    LEAVE = "leave"  # a member defects
    JOIN = "join"  # a non-member signs (a defector returns)
    STAY_OUT = "stay out"  # a non-member does not sign


class PolicyError(ValueError):
    """A player's choice the rules do not allow; ``field`` names the lever."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = message


# --- what a pressurer sees of a member -----------------------------------------------------
@dataclass(slots=True)
class Target:
    """A member as a pressurer sees it: public data only, no hidden grievance. The same
    object is the rule's input and what a player's view lists."""

    id: str
    name: str
    value: float  # share of the alliance the member represents
    exposure: float  # % of GDP exported to the pressurer
    resistance: float
    gdp_usd_bn: float
    chokepoints: float  # frontier shares the target holds in phases China cannot supply


# --- the leader -------------------------------------------------------------------------
@dataclass(frozen=True)
class MemberInfo:
    """A member as the US sees it: strain is grievance over threshold, the diplomats'
    estimate of how close it is to leaving."""

    id: str
    name: str
    gdp_usd_bn: float
    strain: float


class Candidate:
    """A non-member the US could invite, and what its signature would add.

    ``gain`` and ``sounding`` may be given as numbers or as functions of nothing, read the
    first time they are asked for: pricing every candidate's signature costs a run more
    than any other part of the US's view, and the model's own US asks only about the
    candidates it is ready to invite (``agents.leader.RuleBasedLeader``)."""

    __slots__ = ("id", "name", "refusals", "ready", "_gain", "_sounding")

    def __init__(
        self,
        id: str,
        name: str,
        gain: float | Callable[[], float],
        refusals: int = 0,
        sounding: float | Callable[[], float] = 0.0,
        ready: bool = True,
    ):
        self.id = id
        self.name = name
        self.refusals = refusals  # invitations it has declined (public: each was announced)
        # whether the US's own rule would ask it again yet (``invite_ready``)
        self.ready = ready
        self._gain = gain
        # The US's reading of the state's balance of signing if invited, from public data
        # (``agents.state.StateAgent.join_balance`` less the bar an invited state must
        # clear): diplomats sound a government out before an invitation is made public.
        self._sounding = sounding

    # Each is priced the first time it is read, then kept (the US's rule reads every
    # ready candidate's sounding each quarter: written out, not through a shared helper).
    @property
    def gain(self) -> float:
        if callable(self._gain):
            self._gain = float(self._gain())
        return self._gain

    @property
    def sounding(self) -> float:
        if callable(self._sounding):
            self._sounding = float(self._sounding())
        return self._sounding

    def __repr__(self) -> str:
        return (
            f"Candidate({self.id!r}, {self.name!r}, gain={self.gain!r}, "
            f"refusals={self.refusals}, sounding={self.sounding!r}, ready={self.ready})"
        )


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
    n_phases: int
    refining_phase: int  # phase id (1-based) of refining, where the refinery push goes
    truce_acceptance: float = 0.0  # China's escalation at which the US agrees a truce; 0: never


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
        n = view.n_phases
        if isinstance(phase, bool) or not isinstance(phase, int) or not 1 <= phase <= n:
            raise PolicyError(f"investments[{i}]", f"expected a phase 1-{n}, got {phase!r}")
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
    truce_cost: float  # units: truce_cost_share x a year's budget at calm
    members_peeled: int  # members that left the alliance in the last four quarters
    control_cost: float
    deterrence: float
    cost_unit: float  # lost imports (% of GDP x US$bn) that count as one unit of cost
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
    cost_unit: float  # lost imports (% of GDP x US$bn) that count as one unit of cost
    targets: list[Target]
    china_ranking: list[str] | None
    credibility: float


@dataclass
class PressurerChoice:
    """pressure: member id -> units of pressure this quarter."""

    pressure: dict[str, float] = field(default_factory=dict)


def check_pressurer(choice: PressurerChoice, view: PressurerView) -> None:
    """Raise PolicyError if the choice breaks the budget or targets a non-member."""
    _check_pressure(choice.pressure, view.targets, view.budget, view.max_per_target, view.name)


# --- a state ----------------------------------------------------------------------------
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
    status: str  # agents.state.Status: member, participant, defected, outside
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
    options: tuple[Decision, ...]
    advice: Decision


@dataclass
class MemberChoice:
    """``action``: a :class:`Decision` (or its text): stay or leave for a member, join or
    stay out otherwise."""

    action: Decision | str


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
    kind: Kind
    view: Any


CHOICE = {
    Kind.LEADER: LeaderChoice,
    Kind.CHINA: ChinaChoice,
    Kind.PRESSURER: PressurerChoice,
    Kind.MEMBER: MemberChoice,
}
CHECKS = {
    Kind.LEADER: check_leader,
    Kind.CHINA: check_china,
    Kind.PRESSURER: check_pressurer,
    Kind.MEMBER: check_member,
}


def check(turn: Turn, choice: Any) -> None:
    """Check a choice for a turn (type and rules); raise PolicyError if it is refused."""
    expected = CHOICE[turn.kind]
    if not isinstance(choice, expected):
        raise PolicyError(turn.kind, f"expected a {expected.__name__}, got {type(choice).__name__}")
    CHECKS[turn.kind](choice, turn.view)


# --- rounds ----------------------------------------------------------------------------
class Deciders(Protocol):
    """Who answers the model's rounds of turns.

    ``asks``: the actors whose turns the model builds and hands over (beyond the US and
    China, whose turns it always builds); every other actor follows its rule without a
    view being built. The model reads it each quarter, so seats may change between
    quarters. ``decide_round`` answers a round: a choice for every turn, keyed by
    actor. ``trusts(actor)``: whether the answers for that actor are the model's own
    rules, which :func:`play_round` does not check again."""

    asks: frozenset[str]

    def decide_round(self, turns: list[Turn]) -> dict[str, Any]: ...

    def trusts(self, actor: str) -> bool: ...


def play_round(deciders: Deciders, turns: list[Turn]) -> dict[str, Any]:
    """One round of decisions: ask the deciders, then check every choice they do not
    vouch for as the model's own rule (``PolicyError`` names the lever; nothing is
    applied). Trusting the rules here saves a sweep a few percent a quarter;
    tests/agents/test_policy.py checks the rules' choices over random parameters instead."""
    choices = deciders.decide_round(turns)
    for turn in turns:
        if turn.actor not in choices:
            raise PolicyError(turn.kind, f"no decision for {turn.actor}")
        if not deciders.trusts(turn.actor):
            check(turn, choices[turn.actor])
    return choices
