"""Pressurers: the coercion game.

China, Russia, Brazil and (once it feels left out) the EU try to peel members away.
Each quarter a pressurer ranks members by *expected damage to the alliance per unit of
cost* -- the member's value to the alliance times its vulnerability (exposure to the
pressurer's market times one minus its resistance), over what denying that market costs
the pressurer in lost imports -- and spends its budget down the ranking, at most
``max_pressure_per_target`` units per target. A unit is split between market denial and
inducements (carrots). China alone holds the refining chokepoint: above an escalation
level it adds export controls on refined inputs, which raise the price index for
everyone. China escalates when the alliance gains ground (joiners, refining capacity)
and seeks a truce when its spending has been heavy. In a counter-alliance, the other
pressurers follow China's ranking and coordinated pressure bites harder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXPOSURE_FIELD = {
    "CHN": "exports_to_china_pct_gdp",
    "RUS": "exports_to_russia_pct_gdp",
    "BRA": "exports_to_brazil_pct_gdp",
    "EUR": "exports_to_eu_pct_gdp",
}
BUDGET_PARAM = {
    "CHN": "china_budget",
    "RUS": "russia_budget",
    "BRA": "brazil_budget",
    "EUR": "eu_budget",
}
ADJECTIVE = {"CHN": "Chinese", "RUS": "Russian", "BRA": "Brazilian", "EUR": "EU"}


@dataclass(slots=True)
class Target:
    """A member as a pressurer sees it: public data only, no hidden grievance. The same
    object is the rule's input and what a player's view lists (``agents.policy``)."""

    id: str
    name: str
    value: float  # share of the alliance the member represents
    exposure: float  # % of GDP exported to the pressurer
    resistance: float
    gdp_usd_bn: float
    chokepoints: float  # frontier shares the target holds in phases China cannot supply


@dataclass
class Pressurer:
    """The pressure policy of one actor."""

    actor_id: str
    active: bool = True
    spent: list[float] = field(default_factory=list)  # units per quarter, most recent last

    def exposure_of(self, agent) -> float:
        return getattr(agent.actor, EXPOSURE_FIELD[self.actor_id])

    def budget(self, p: dict, escalation: float) -> float:
        b = p[BUDGET_PARAM[self.actor_id]] * p["pressure_intensity"]
        return b * escalation if self.actor_id == "CHN" else b

    def rank(self, targets: list[Target], deterrence: float) -> list[Target]:
        """Targets in order of expected damage per unit cost (ties broken by id, so the
        order does not depend on how agents were created).

        The cost of coercing a target is the imports the pressurer gives up (in US$100bn)
        plus the risk of retaliation in kind: ``deterrence`` times the frontier shares the
        target holds in phases the pressurer cannot supply itself (Taiwan's fabs, Dutch
        EUV, Japanese resists). Mutual dependence deters coercion."""

        def score(t: Target) -> float:
            vulnerability = t.exposure * (1.0 - t.resistance)
            cost = 1.0 + t.exposure * t.gdp_usd_bn / 10_000.0 + deterrence * t.chokepoints
            return t.value * vulnerability / cost

        return sorted((t for t in targets if t.exposure > 0), key=lambda t: (-score(t), t.id))

    def allocate(
        self, ranked: list[Target], budget: float, per_target: float
    ) -> list[tuple[Target, float]]:
        """Spend the budget down the ranking, at most ``per_target`` units each."""
        out = []
        left = budget
        for t in ranked:
            if left <= 1e-12:
                break
            u = min(per_target, left)
            out.append((t, u))
            left -= u
        return out


def rule_allocation(
    pr: Pressurer,
    targets: list[Target],
    budget: float,
    per_target: float,
    deterrence: float,
    follow: list[str] | None = None,
) -> dict[str, float]:
    """The rule of Russia, Brazil and the EU: follow China's ranking ``follow`` when given
    (a counter-alliance), else rank by expected damage per unit of cost; spend the budget
    down the ranking."""
    if follow is not None:
        order = {code: i for i, code in enumerate(follow)}
        ranked = sorted(targets, key=lambda t: order.get(t.id, 10**6))
    else:
        ranked = pr.rank(targets, deterrence)
    return {t.id: u for t, u in pr.allocate(ranked, budget, per_target)}


def pressure_pain(
    units: float,
    exposure: float,
    resistance: float,
    p: dict,
    coordination: float = 1.0,
    inducement_share: float | None = None,
) -> float:
    """Pain a target takes from ``units`` of pressure: the denial share hits its exports
    to the pressurer, weakened by its resistance; the inducement share pulls directly."""
    iota = p["inducement_share"] if inducement_share is None else inducement_share
    denial = (1.0 - iota) * units * p["market_denial_effect"] * exposure
    inducement = iota * units * p["inducement_effect"]
    return coordination * ((1.0 - resistance) * denial + inducement)


def control_stringency(escalation: float, p: dict) -> float:
    """Share of refined-input exports China withholds under rule-based controls: none
    below ``control_escalation``, rising to ``control_stringency`` at the ceiling."""
    lo, hi = p["control_escalation"], p["max_escalation"]
    if escalation < lo or hi <= lo:
        return 0.0 if escalation < lo else p["control_stringency"]
    return p["control_stringency"] * min(1.0, (escalation - lo) / (hi - lo))


def price_multiplier(stringency: float, china_share: float, elasticity: float) -> float:
    """Price multiplier of withholding ``stringency`` of a supplier's ``china_share``:
    with constant-elasticity demand, ``(1 - s * c) ** (-1 / elasticity)``."""
    cut = min(0.99, max(0.0, stringency * china_share))
    return (1.0 - cut) ** (-1.0 / elasticity)
