"""``StateAgent``: the commitment game.

Every modelled state is a ``StateAgent``. A member weighs the benefit of staying (secure
supply, investment inflows and side payments, all discounted by the leader's credibility)
against the pain of staying (pressure x exposure x (1 - resistance), input price shocks)
and the example of peers who left. The balance accumulates as *grievance* with a memory,
so a member can absorb early volatility and still break later; it leaves when grievance
reaches its threshold. With every term but the social one switched off, the rule is
Granovetter's (1978) threshold model.

Decisions are computed from a :class:`Snapshot` of the start of the commitment phase and
applied afterwards, so the order in which agents are visited cannot change the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa

from agents.pressurer import pressure_pain
from model.world import Actor

MEMBER, PARTICIPANT, DEFECTED, OUTSIDE = "member", "participant", "defected", "outside"

# Labels for what drove a member's grievance, used in the event log.
REASONS = {
    "pressure": "pressure",
    "price": "input price shocks",
    "social": "peers leaving",
    "reversal": "US policy reversals",
}


@dataclass
class Snapshot:
    """What every state sees at the start of the commitment phase."""

    credibility: float
    secure_supply: float  # mean self-sufficiency of the alliance across phases
    price_index: float
    defected_tie_share: dict[int, float]
    expected_pressure: float  # China's pressure units on a newcomer


class StateAgent(mesa.Agent):
    """A state: the leader, a signatory, a participant, a rival or an outsider."""

    def __init__(
        self, model, actor: Actor, status: str, role: str, resistance: float, threshold: float
    ):
        super().__init__(model)
        self.actor = actor
        self.code = actor.id  # e.g. "JPN" (read on every rule, so a plain attribute)
        self.name = actor.name
        self.status = status
        self.role = role
        self.founding = status == MEMBER
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
        self.dependence = 1.0  # downstream industry relative to the average member

    # --- reporters --------------------------------------------------------------------
    @property
    def is_member(self) -> bool:
        return self.status == MEMBER

    @property
    def pressure_total(self) -> float:
        return sum(self.pressure_received.values())

    # --- the commitment rule ----------------------------------------------------------
    def benefit(self, snap: Snapshot, p: dict) -> float:
        """Benefit of staying this quarter: supply security, inflows and side payments,
        discounted by credibility (a promise is worth what the promiser's word is)."""
        gdp = max(self.actor.gdp_usd_bn, 1e-9)
        inflow_pct = 400.0 * self.inflow / gdp  # annualised, % of GDP
        side_pct = 400.0 * self.side_payment / gdp
        return snap.credibility * (
            p["supply_benefit"] * snap.secure_supply
            + p["inflow_benefit"] * inflow_pct
            + p["side_payment_benefit"] * side_pct
        )

    def pain(self, snap: Snapshot, p: dict) -> dict[str, float]:
        """Pain of staying, by source: pressure (already weighted by exposure and
        resistance when applied), input prices (by downstream dependence), reversals."""
        return {
            "pressure": self.pressure_pain,
            "price": p["price_pain"] * max(0.0, snap.price_index - 1.0) * self.dependence,
            "reversal": self.reversal_shock,
        }

    def social_pull(self, snap: Snapshot, p: dict) -> float:
        """Strain from the example of ties who left (tie-weighted share)."""
        return p["social_influence"] * snap.defected_tie_share.get(self.unique_id, 0.0)

    def assess(self, snap: Snapshot, p: dict, shock: float = 0.0) -> float:
        """Update grievance from this quarter's strain; return the new grievance.

        ``G <- max(0, memory * G + pain + social + shock - benefit)``, where ``shock`` is
        this quarter's domestic political noise (drawn by the model)."""
        pains = self.pain(snap, p)
        social = self.social_pull(snap, p)
        self.strain = sum(pains.values()) + social + shock - self.benefit(snap, p)
        m = p["grievance_memory"]
        self.grievance = max(0.0, m * self.grievance + self.strain)
        c = self.components  # every driver decays, then adds this quarter's
        for k, v in pains.items():
            c[k] = c[k] * m + v
        c["social"] = c["social"] * m + social
        memory = self.pain_memory
        for k in memory:
            memory[k] *= m
        for k, v in self.pain_by.items():
            memory[k] = memory.get(k, 0.0) + v
        return self.grievance

    def join_balance(self, snap: Snapshot, p: dict) -> float:
        """Net benefit a non-member expects from signing: the alliance's secure supply,
        discounted by credibility and by how closely the state is aligned with the US
        (0.25 + 0.75 x its security tie), minus the pressure China would turn on a newcomer (a full
        target's worth at the current escalation)."""
        alignment = 0.25 + 0.75 * self.actor.us_security_tie
        benefit = snap.credibility * p["supply_benefit"] * snap.secure_supply * alignment
        expected = pressure_pain(
            snap.expected_pressure, self.actor.exports_to_china_pct_gdp, self.resistance, p
        )
        return benefit - expected

    def decide(self, snap: Snapshot, p: dict) -> str | None:
        """This quarter's decision, from the snapshot: "defect", "join", "return" or None.

        The leader never defects; rivals never join."""
        if self.status == MEMBER:
            if self.role == "leader":
                return None
            return "defect" if self.grievance >= self.threshold - 1e-9 else None
        if self.role == "rival":
            return None
        if self.status == DEFECTED and self.cooldown > 0:
            return None
        bar = p["join_threshold"] * (1.0 if self.invited else 2.0)
        if self.join_balance(snap, p) >= bar:
            return "return" if self.status == DEFECTED else "join"
        return None

    def main_reason(self) -> str:
        """The largest (decayed) driver of this member's grievance, in words."""
        key = max(self.components, key=self.components.get)
        return REASONS[key]
