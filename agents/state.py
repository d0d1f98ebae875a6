"""States: the commitment game.

Every modelled state is a ``StateAgent``. A member weighs the benefit of staying (secure
supply, investment inflows and side payments, all discounted by the leader's credibility)
against the pain of staying (pressure x exposure x (1 - resistance), input price shocks)
and the example of peers who left. The balance accumulates as *grievance* with a memory,
so a member can absorb early volatility and still break later; it leaves when grievance
reaches its threshold. With every term but the social one switched off, the rule is
Granovetter's (1978) threshold model (:func:`peers_who_left`, :func:`next_grievance`,
:func:`leaves`).

Decisions are computed from a :class:`Snapshot` of the start of the commitment phase and
applied afterwards, so the order in which agents are visited cannot change the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import mesa
import numpy as np

from agents.parameters import Parameters
from agents.policy import Decision, MemberChoice, MemberView
from agents.pressurer import CHINA, PressureParams, exposures, pressure_pain
from agents.records import Actor


class Status(StrEnum):
    """Where a state stands towards the alliance."""

    MEMBER = "member"  # a signatory of the declaration
    PARTICIPANT = "participant"  # at the table, not signed
    DEFECTED = "defected"  # signed, then left
    OUTSIDE = "outside"


class Role(StrEnum):
    """What a state is in the game (fixed over a run)."""

    LEADER = "leader"  # the US: never leaves
    SIGNATORY = "signatory"  # a founding member
    PARTICIPANT = "participant"
    RIVAL = "rival"  # China, Russia, Brazil: never sign
    OUTSIDER = "outsider"


# Statuses and decisions under short names for the rules' hot paths (the same enum
# members).
MEMBER, PARTICIPANT, DEFECTED, OUTSIDE = Status
STAY, LEAVE, JOIN, STAY_OUT = Decision

# The pains of staying, by source (``StateAgent.pain``).
PAINS = ("pressure", "price", "reversal")
# Labels for what drove a member's grievance, used in the event log.
REASONS = {
    "pressure": "pressure",
    "price": "input price shocks",
    "social": "peers leaving",
    "reversal": "US policy reversals",
}


@dataclass(frozen=True, slots=True)
class CommitmentParams(Parameters):
    """What the commitment rule weighs (names as in parameters.toml)."""

    supply_benefit: float
    inflow_benefit: float
    side_payment_benefit: float
    price_pain: float
    social_influence: float
    grievance_memory: float
    join_threshold: float
    join_alignment_floor: float


@dataclass
class Snapshot:
    """What every state sees at the start of the commitment phase."""

    credibility: float
    secure_supply: float  # what the members' supply is worth (``secure_supply``)
    price_index: float
    defected_tie_share: dict[int, float]
    expected_pressure: float  # China's pressure units on a newcomer
    # What the members cannot refine for themselves: 1 - their refining self-sufficiency
    # (the share of their refined-input demand the alliance cannot supply).
    refining_gap: float = 1.0


# --- the rules, each on the values it uses ------------------------------------------------
def resistance(security_tie: float, base: float, per_tie: float, cap: float) -> float:
    """Resistance to pressure: a base plus the shelter of a US security tie, capped below 1
    (no state is wholly immune)."""
    return min(cap, base + per_tie * security_tie)


def secure_supply(controlled_share: float, refining_gap: float, bottleneck_weight: float) -> float:
    """What the alliance's supply is worth to a member: the share of phases the members
    control, discounted by the refined inputs they cannot supply themselves. A fab or a
    design house in friendly hands secures nothing if its rare-earth magnets, gallium and
    germanium still come from China: ``bottleneck_weight`` is the share of a controlled
    phase's value that rests on refined inputs (0: refining does not matter; 1: a chain
    with no refining of its own secures nothing), ``refining_gap`` the share of the
    members' refined-input demand the alliance cannot refine (1 - self-sufficiency)."""
    return controlled_share * (1.0 - bottleneck_weight * refining_gap)


def defection_threshold(base: float, resistance: float, draw: float) -> float:
    """The grievance at which a member leaves: a base, raised by resistance, times the
    state's own draw (heterogeneous thresholds, as in Granovetter 1978)."""
    return base * (1.0 + resistance) * draw


def member_weights(
    carried: np.ndarray,
    gdp: np.ndarray,
    basis: np.ndarray,
    capacity_weight: float,
    weighting: float = 1.0,
) -> np.ndarray:
    """Each state's weight in the alliance, from data: a mix of the phases it carries
    (``carried``: its capacity shares summed over the phases) and its economy (``gdp``),
    each as a share of the ``basis`` states' total (the founding members but the leader),
    mixed ``capacity_weight`` : ``1 - capacity_weight``. The basis weights sum to 1;
    a state outside it is weighed on the same scale (Taiwan's fabs weigh more than any
    founder's). ``weighting`` blends these with equal weights (``1 / n`` each): 1 is
    what members hold, 0 a head count (every member alike, Granovetter's model)."""
    carried_total = float(carried[basis].sum())
    gdp_total = float(gdp[basis].sum())
    by_capacity = carried / carried_total if carried_total > 0 else np.zeros_like(carried)
    by_economy = gdp / gdp_total if gdp_total > 0 else np.zeros_like(gdp)
    held = capacity_weight * by_capacity + (1.0 - capacity_weight) * by_economy
    equal = 1.0 / max(1, int(basis.sum()))
    return weighting * held + (1.0 - weighting) * equal


def peers_who_left(
    ties: np.ndarray, peer: np.ndarray, defected: np.ndarray, weight: np.ndarray | None = None
) -> np.ndarray:
    """Each state's share of its peers (members and defectors) who left, each peer counted
    by its tie and by its ``weight`` in the alliance (``member_weights``; all 1 if
    ``None``, Granovetter's head count): a peer that carries phases is watched more
    than one that carries none.

    ``ties``: states x states weights; ``peer`` and ``defected``: boolean per state."""
    weights = ties * peer[None, :] if weight is None else ties * (peer * weight)[None, :]
    total = weights.sum(axis=1)
    return np.divide(
        weights @ defected.astype(float), total, out=np.zeros(len(peer)), where=total > 0
    )


def domestic_noise(rng: np.random.Generator, sd: float, n: int) -> list[float]:
    """This quarter's domestic political shock to each state's grievance (none at sd 0)."""
    return rng.normal(0.0, sd, n).tolist() if sd > 0 else [0.0] * n


def next_grievance(grievance: float, strain: float, memory: float) -> float:
    """Grievance accumulates this quarter's strain with a memory: ``max(0, m G + strain)``."""
    return max(0.0, memory * grievance + strain)


def leaves(grievance: float, threshold: float) -> bool:
    """A member leaves once its grievance reaches its threshold."""
    return grievance >= threshold - 1e-9


NO_CHOICE = (Role.LEADER, Role.RIVAL)  # the leader never leaves, rivals never sign


def can_decide(role: Role) -> bool:
    """Whether a state ever has a choice: not the leader, not a rival (``NO_CHOICE``)."""
    return role not in NO_CHOICE


class StateAgent(mesa.Agent):
    """A state: the leader, a signatory, a participant, a rival or an outsider."""

    def __init__(
        self,
        model,
        actor: Actor,
        status: Status,
        role: Role,
        resistance: float,
        threshold: float,
        row: int = -1,
        dependence: float = 1.0,
        weight: float = 0.0,
        valuation: float = 1.0,
    ):
        super().__init__(model)
        self.actor = actor
        self.code = actor.id  # e.g. "JPN" (read on every rule, so a plain attribute)
        self.name = actor.name
        # its stake in what each pressurer can withhold, % of GDP (``exposure_of``)
        self.exposure = exposures(actor)
        self.row = row  # its row in the world's capacity matrices
        self.status = status
        self.role = role
        self.founding = status == MEMBER
        self.has_choice = can_decide(role)  # the role is fixed over a run
        self.resistance = resistance
        self.threshold = threshold
        self.grievance = 0.0
        self.strain = 0.0
        self.components = dict.fromkeys(REASONS, 0.0)  # decayed drivers of grievance
        self.pressure_received: dict[str, float] = {}  # pressurer id -> units this quarter
        self.pressure_pain = 0.0  # pain from pressure this quarter
        self.pain_by: dict[str, float] = {}  # that pain by pressurer
        self.pain_memory: dict[str, float] = {}  # decayed pain by pressurer
        self.pressure_streak: dict[str, int] = {}  # pressurer id -> consecutive quarters
        self.side_payment = 0.0  # US$bn this quarter
        self.inflow = 0.0  # US$bn of new investment this quarter
        self.reversal_shock = 0.0
        self.cooldown = 0
        self.invited = False
        self.refusals = 0  # US invitations it has declined
        self.last_refusal = -(10**6)  # the quarter of the last
        self.dependence = dependence  # downstream industry relative to the average member
        self.weight = weight  # its weight in the alliance (``member_weights``)
        # How much this state values a secure supply, relative to the average state: its
        # own draw (``valuation_spread``), as thresholds are (Granovetter's heterogeneity).
        self.valuation = valuation

    # --- reporters --------------------------------------------------------------------
    @property
    def is_member(self) -> bool:
        return self.status == MEMBER

    @property
    def pressure_total(self) -> float:
        return sum(self.pressure_received.values())

    # --- the commitment rule ----------------------------------------------------------
    def may_decide(self) -> bool:
        """Whether this state has a choice this quarter: it ever has one (``can_decide``:
        not the leader, not a rival), and it is not a defector waiting out its cool-down."""
        return self.has_choice and (self.cooldown <= 0 or self.status != DEFECTED)

    def benefit(self, snap: Snapshot, cp: CommitmentParams) -> float:
        """Benefit of staying this quarter: supply security, inflows and side payments,
        discounted by credibility (a promise is worth what the promiser's word is)."""
        gdp = max(self.actor.gdp_usd_bn, 1e-9)
        inflow_pct = 400.0 * self.inflow / gdp  # annualised, % of GDP
        side_pct = 400.0 * self.side_payment / gdp
        return snap.credibility * (
            cp.supply_benefit * self.valuation * snap.secure_supply
            + cp.inflow_benefit * inflow_pct
            + cp.side_payment_benefit * side_pct
        )

    def pain(self, snap: Snapshot, cp: CommitmentParams) -> dict[str, float]:
        """Pain of staying, by source: pressure (already weighted by exposure and
        resistance when it landed), input prices (by downstream dependence, on the share
        of refined inputs the alliance cannot supply itself: the refining bottleneck),
        reversals."""
        return dict(zip(PAINS, self._pains(snap, cp), strict=True))

    def _pains(self, snap: Snapshot, cp: CommitmentParams) -> tuple[float, float, float]:
        """:meth:`pain`'s values in the order of ``PAINS`` (the rule's hot path)."""
        price = cp.price_pain * max(0.0, snap.price_index - 1.0) * self.dependence
        return self.pressure_pain, price * snap.refining_gap, self.reversal_shock

    def social_pull(self, snap: Snapshot, cp: CommitmentParams) -> float:
        """Strain from the example of ties who left (tie-weighted share)."""
        return cp.social_influence * snap.defected_tie_share.get(self.unique_id, 0.0)

    def assess(self, snap: Snapshot, cp: CommitmentParams, shock: float = 0.0) -> float:
        """Update grievance from this quarter's strain; return the new grievance.

        ``G <- max(0, memory * G + pain + social + shock - benefit)``, where ``shock`` is
        this quarter's domestic political noise (:func:`domestic_noise`)."""
        pressure, price, reversal = self._pains(snap, cp)
        social = self.social_pull(snap, cp)
        # the pains added by ``sum`` (compensated since Python 3.12), then the rest
        self.strain = sum((pressure, price, reversal)) + social + shock - self.benefit(snap, cp)
        m = cp.grievance_memory
        self.grievance = next_grievance(self.grievance, self.strain, m)
        c = self.components  # every driver decays, then adds this quarter's
        c["pressure"] = c["pressure"] * m + pressure
        c["price"] = c["price"] * m + price
        c["reversal"] = c["reversal"] * m + reversal
        c["social"] = c["social"] * m + social
        memory = self.pain_memory
        for k in memory:
            memory[k] *= m
        for k, v in self.pain_by.items():
            memory[k] = memory.get(k, 0.0) + v
        return self.grievance

    def join_balance(self, snap: Snapshot, cp: CommitmentParams, pp: PressureParams) -> float:
        """Net benefit a non-member expects from signing: the alliance's secure supply,
        discounted by credibility and by how closely the state is aligned with the US
        (``join_alignment_floor`` for no security tie, rising to 1 for a full one), minus
        the pressure China would turn on a newcomer (a full target's worth at the current
        escalation)."""
        floor = cp.join_alignment_floor
        alignment = floor + (1.0 - floor) * self.actor.us_security_tie
        benefit = (
            snap.credibility * cp.supply_benefit * self.valuation * snap.secure_supply * alignment
        )
        exposure = self.exposure[CHINA]  # what China can withhold from it
        expected = pressure_pain(snap.expected_pressure, exposure, self.resistance, pp)
        return benefit - expected

    def decide(self, snap: Snapshot, cp: CommitmentParams, pp: PressureParams) -> Decision:
        """This quarter's decision, from the snapshot: a member leaves at its threshold; a
        non-member joins when the balance of joining clears the bar (half as high for an
        invited state)."""
        member = self.status == MEMBER
        if not self.may_decide():
            return STAY if member else STAY_OUT
        if member:
            return LEAVE if leaves(self.grievance, self.threshold) else STAY
        bar = cp.join_threshold * (1.0 if self.invited else 2.0)
        return JOIN if self.join_balance(snap, cp, pp) >= bar else STAY_OUT

    def main_reason(self) -> str:
        """The largest (decayed) driver of this member's grievance, in words."""
        key = max(self.components, key=self.components.get)
        return REASONS[key]


class RuleBasedMember:
    """The model's own commitment rule (:meth:`StateAgent.decide`), which the view carries
    as its advice."""

    def decide(self, view: MemberView) -> MemberChoice:
        return MemberChoice(view.advice)
