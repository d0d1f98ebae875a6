"""``PaxSilicaModel``: the schedule that ties the three games together.

One step is one quarter (default 40 quarters, 2026-2035), in five phases (docs/ODD.md,
process overview):

1. exogenous events: scripted events, a chance of a US policy reversal, the leader's
   side payments, invitation and direct investment;
2. coercion: pressurers pick targets and instruments; pressure lands; the price index
   of critical refined inputs moves (controls, mean reversion);
3. coordination: investors update beliefs and invest or withdraw; pipelines advance;
   matured projects add capacity; China's capacity follows its trend;
4. commitment: members update grievance and decide to stay or leave; non-members decide
   whether to join (or accept an invitation); defectors may return after a cool-down;
5. update: credibility, China's escalation and the EU's stance move; survival is
   checked; data are collected.

The rules of behaviour live in ``agents/`` (states, the leader, China and the other
pressurers, investors, the market), each a small function of the values it uses; this
module gathers their inputs, calls them and applies their results. Every decision in
phases 2-4 is computed from the state at the start of that phase and applied
afterwards, so the order of agents does not bias results.

Actors decide through ``agents.policy``: the model asks in *rounds* of turns (the US in
phase 1; China, then the other pressurers, in phase 2; the states in phase 4) and its
``deciders`` answer them (by default each actor's rules, or a given policy; a classroom
waits for its students). Cascades unfold over quarters (one round of decisions per
quarter), not to a fixed point within a quarter.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from agents import china, leader, market
from agents.china import EscalationParams
from agents.investor import InvestorPopulation, MarketView, project_weights
from agents.leader import CredibilityParams
from agents.policy import (
    ChinaChoice,
    Deciders,
    Decision,
    Kind,
    LeaderChoice,
    PressurerChoice,
    Target,
    Turn,
    play_round,
)
from agents.pressurer import (
    CHINA,
    EU,
    PRESSURERS,
    PressureParams,
    Pressurer,
    Stance,
    chokepoints,
    eu_initial_stance,
    eu_turns,
    pain_landed,
    presses,
    pressure_streaks,
    rule_allocation,
    target_value,
)
from agents.rules import Policies
from agents.state import (
    CommitmentParams,
    Role,
    Snapshot,
    StateAgent,
    Status,
    can_decide,
    defection_threshold,
    domestic_noise,
    peers_who_left,
    secure_supply,
)
from model import metrics, survival, views
from model.cast import cast_of
from model.collector import make_collector
from model.events import EventKind, LogEvent, why_member_leaves
from model.params import ParameterError, coerce
from model.scenario import Event, Scenario, ScenarioError, load_scenario
from model.survival import SurvivalParams
from model.wording import quarters_in_words
from model.world import LEADER, investor_types, tie_graph, tie_matrix

# Statuses and decisions under short names for the schedule's loops (the same enum
# members).
MEMBER, PARTICIPANT, DEFECTED, OUTSIDE = Status
STAY, LEAVE, JOIN, STAY_OUT = Decision


def _coerce_rng(rng: Any) -> Any:
    """Seeds arrive as text from forms and command lines; accept "42" as 42."""
    if isinstance(rng, str):
        s = rng.strip()
        if not s.lstrip("-").isdigit():
            raise ScenarioError("model", "seed", f"expected a whole number, got {rng!r}")
        if int(s) < 0:
            raise ScenarioError(
                "model", "seed", f"expected a whole number of at least 0, got {rng!r}"
            )
        return int(s)
    if isinstance(rng, int) and not isinstance(rng, bool) and rng < 0:
        raise ScenarioError("model", "seed", f"expected a whole number of at least 0, got {rng}")
    return rng


class PaxSilicaModel(mesa.Model):
    """The Pax Silica alliance game.

    Args:
        scenario: a preset name, a path to a scenario TOML file, or a ``Scenario``;
            afterwards ``model.scenario`` is that ``Scenario`` (Mesa's own bare scenario,
            which only holds the seed, is ``model.mesa_scenario``).
        rng: seed (int, or digits as text) or ``numpy.random.Generator``.
        collect_investors: also record every investor's state each quarter (memory
            grows with investors x quarters; off by default).
        collect: record the per-quarter series at all (default). ``collect=False``
            (sweeps that keep only ``outcome()``) puts a no-op ``NoCollector`` in
            ``datacollector``: same run, same outcome, about a fifth less time.
        policies: who decides for an actor: "USA", "CHN", another pressurer ("RUS",
            "BRA", "EUR") or a state that may sign or leave -> an object with
            ``decide(view)``; every other actor follows its rules. A player's policy gets
            the same view and budgets.
        deciders: instead of ``policies``, an ``agents.policy.Deciders`` that answers
            whole rounds of turns (a classroom's, which waits for its students).
        **params: any parameter of ``model/data/parameters.toml``, overriding the
            scenario's value (validated; a bad value raises ``ScenarioError``).
    """

    def __init__(
        self,
        scenario: str | Scenario = "baseline",
        rng: Any = None,
        collect_investors: bool = False,
        policies: dict | None = None,
        deciders: Deciders | None = None,
        collect: bool = True,
        **params: Any,
    ):
        setup = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        p = dict(setup.params)
        for k, v in params.items():
            try:
                p[k] = coerce(k, v, from_text=isinstance(v, str))
            except ParameterError as e:
                raise ScenarioError("model", k, e.detail) from None
        if policies is not None and deciders is not None:
            raise ScenarioError("model", "deciders", "give policies or deciders, not both")
        rng = _coerce_rng(rng)
        super().__init__(rng=rng)
        self.rng_seed = rng if isinstance(rng, int) else None
        self._setup = setup
        self.p = p
        self.commitment_params = CommitmentParams.of(p)
        self.pressure_params = PressureParams.of(p)
        self.escalation_params = EscalationParams.of(p)
        self.credibility_params = CredibilityParams.of(p)
        self.survival_params = SurvivalParams.of(p)
        self.world = w = setup.world()
        self.n_phases = w.n_phases
        self.refining = w.refining
        self.lags = np.array([ph.build_lag_quarters for ph in w.phases])
        self.capex = np.array([ph.capex_usd_bn_per_unit for ph in w.phases])
        self.china_growth_q = (1.0 + np.array([ph.china_growth_pa for ph in w.phases])) ** 0.25
        self.has_segment = w.segmented
        self.no_segment = ~w.segmented  # the phases whose frontier is their volume
        self.china_row = w.idx(CHINA)

        self._make_states(setup)
        self.tie_matrix = tie_matrix(self._cast.tie_key)  # the peers' pull reads it
        self.deciders = deciders if deciders is not None else Policies(policies)
        seatable = set(self.seatable())
        for who in sorted(set(self.deciders.asks) - seatable):
            raise ScenarioError(
                "model",
                "policies",
                f"{who!r} cannot decide; expected one of {', '.join(sorted(seatable))}",
            )
        self.pressurers = {
            a: Pressurer(a, active=(a != EU) or self.eu_stance == Stance.PRESSURER)
            for a in PRESSURERS
        }
        # Each state's exposure to each pressurer's market (% of GDP), fixed over a run:
        # state -> pressurer -> exposure.
        self.exposure = {s.code: s.exposure for s in self.states}
        # ... and its resistance to each (the EU's rules are not sheltered by US ties).
        self.resistance_by = self._cast.resistance_by  # read-only, shared (``model.cast``)
        self.investors = InvestorPopulation(
            self, p["n_investors"], p, self.n_phases, self.rng, investor_types(), w.upstream
        )
        self.investors.set_lags(self.lags)

        self.credibility = p["initial_credibility"]
        self.control_level = 1.0  # price multiplier of standing controls
        self.shock = 1.0  # transient price shock, mean-reverting to 1
        self.price_index = 1.0
        self.price_history = [1.0]
        self._volatility = market.price_volatility(self.price_history)
        self.escalation = min(p["initial_escalation"], p["max_escalation"])
        self.truce_left = p["initial_truce"]
        self.eu_reversals = 0
        self.china_spent: list[float] = []
        self.public_pipeline: list[tuple[int, int, int, float]] = []  # due, row, phase, bn
        self.public_invested = 0.0
        self.side_paid = 0.0  # US side payments made over the run, US$bn
        self.china_cost_total = 0.0  # China's coercion cost over the run, pressure units
        self.floor_streak = 0
        self.collapsed = False
        self.collapse_quarter: int | None = None
        self.collapse_reason = ""
        self.last_invite = -(10**6)
        self.left_at: list[int] = []  # the quarter of each defection
        self.events: list[LogEvent] = []
        self.pressure_by = dict.fromkeys(PRESSURERS, 0.0)
        self.joins_now = 0
        self.last_gain = 0.0
        self.scripted: dict[int, list[Event]] = {}
        for e in setup.events:
            self.scripted.setdefault(e.quarter, []).append(e)
        self._update_metrics()
        self.initial_refining_share = self.refining_share
        if collect_investors:
            self.investors.agents  # noqa: B018  (the agent reporters need the façades)
        self.datacollector = make_collector(self.n_phases, collect_investors, collect)
        self.datacollector.collect(self)

    # Mesa 3.5's Model keeps its own ``scenario`` (a bare one holding the seed); this
    # model's scenario is the Pax Silica one it was built from.
    @property
    def scenario(self) -> Scenario:
        """The scenario this model was built from (``model.scenario.Scenario``)."""
        return self._setup

    @scenario.setter
    def scenario(self, value: Any) -> None:  # Mesa's __init__ sets its own here
        self.mesa_scenario = value
        value.model = self

    @property
    def ties(self):
        """The ties among the states as a frozen networkx graph (``model.world.tie_graph``:
        made when first asked for, shared by every model of the same states)."""
        return tie_graph(self._cast.tie_key)

    # ------------------------------------------------------------------ construction --
    def _make_states(self, setup: Scenario) -> None:
        """The states: what the scenario fixes about them (``model.cast``: status, role,
        resistance, row, dependence, weight), and each one's own draws of its defection
        threshold and of its valuation of a secure supply."""
        p, cast = self.p, cast_of(setup, self.p, self.world)
        n = len(cast.states)
        # Drawn in actor-id order (``CastState.draw``) so creation order cannot change them.
        spread = p["threshold_spread"]
        draws = self.rng.uniform(1 - spread, 1 + spread, n)
        vs = p["valuation_spread"]
        values = self.rng.uniform(1 - vs, 1 + vs, n)
        base = p["defection_threshold"]
        self.states: list[StateAgent] = [
            StateAgent(
                self,
                c.actor,
                c.status,
                c.role,
                c.resistance,
                defection_threshold(base, c.resistance, draws[c.draw]),
                c.row,
                c.dependence,
                c.weight,
                valuation=values[c.draw],
            )
            for c in cast.states
        ]
        self.by_id = {s.code: s for s in self.states}
        self.by_row = {s.row: s for s in self.states}
        self.leader = self.by_id[LEADER]
        self.allies = [s for s in self.states if s.role != Role.LEADER]  # all but the US
        # the states the US may court (roles are fixed over a run; ``views.leader_view``)
        self.non_rivals = [s for s in self.states if s.role != Role.RIVAL]
        self.n_founding = cast.n_founding
        # The states' weights in the alliance (``agents.state.member_weights``): the
        # phases each carries at the start and its economy, on the founders' scale (the
        # founders but the leader weigh 1 together).
        self.state_weights = cast.state_weights.copy()  # in state order (peers' pull)
        self.founder_weight = cast.founder_weight  # 1 up to rounding
        self.n_founders = cast.n_founders
        self._cast = cast
        self.eu_stance = eu_initial_stance(cast.eu_outside)

    # ------------------------------------------------------------------- reporters ----
    @property
    def quarter(self) -> int:
        return self.steps

    def when(self, quarter: int | None = None) -> str:
        q = self.steps if quarter is None else quarter
        start = self.p["start_year"]
        return f"{start + (q - 1) // 4} Q{(q - 1) % 4 + 1}" if q > 0 else f"{start - 1} Q4"

    @property
    def members(self) -> int:
        return sum(s.status == MEMBER for s in self.states)

    @property
    def founding_members(self) -> int:
        return sum(s.founding and s.status == MEMBER for s in self.states)

    @property
    def founding_share(self) -> float:
        """The founders' weight still in (1 at the start; the leader not counted)."""
        if self.founder_weight <= 0:
            return 1.0
        still = sum(s.weight for s in self.allies if s.founding and s.status == MEMBER)
        return still / self.founder_weight

    @property
    def participants(self) -> int:
        return sum(s.status == PARTICIPANT for s in self.states)

    @property
    def defectors(self) -> int:
        return sum(s.status == DEFECTED for s in self.states)

    @property
    def joined(self) -> int:
        return sum(s.status == MEMBER and not s.founding for s in self.states)

    def status_counts(self) -> tuple[int, int, int, int, int]:
        """``members``, ``founding_members``, ``participants``, ``defectors`` and
        ``joined``, counted in one pass over the states (the collector's row)."""
        members = founding = participants = defectors = 0
        for s in self.states:
            status = s.status
            if status == MEMBER:
                members += 1
                founding += s.founding
            elif status == PARTICIPANT:
                participants += 1
            elif status == DEFECTED:
                defectors += 1
        return members, founding, participants, defectors, members - founding

    def capital_sums(self) -> tuple[float, float, float, float, float]:
        """``capital_committed``, ``capital_pipeline``, ``capital_built``,
        ``capital_stranded`` and ``capital_idle``, each investor array summed once."""
        inv = self.investors
        pipeline, built = inv.pipeline.sum(), inv.built.sum()
        return (
            float(pipeline + built),
            float(pipeline),
            float(built),
            float(inv.stranded.sum()),
            float(inv.idle.sum()),
        )

    @property
    def capital_committed(self) -> float:
        return self.investors.committed()

    @property
    def capital_pipeline(self) -> float:
        return float(self.investors.pipeline.sum())

    @property
    def capital_built(self) -> float:
        return float(self.investors.built.sum())

    @property
    def capital_stranded(self) -> float:
        return float(self.investors.stranded.sum())

    @property
    def capital_idle(self) -> float:
        return float(self.investors.idle.sum())

    @property
    def commit_ratio(self) -> float:
        total = self.investors.total_capital
        return self.capital_committed / total if total > 0 else 0.0

    @property
    def price_volatility(self) -> float:
        """Standard deviation of quarterly log price changes over the last year (updated
        when the quarter's price is set, in the coercion phase)."""
        return self._volatility

    @property
    def china_escalation(self) -> float:
        return self.escalation

    @property
    def members_peeled(self) -> int:
        """Members that left the alliance in the last four quarters (China's gains)."""
        return sum(q > self.steps - 4 for q in self.left_at)

    @property
    def truce_cost(self) -> float:
        """What a year of coercion may cost China before it seeks a truce, in units
        (``agents.china.truce_threshold`` at its budget at calm)."""
        calm = self.pressurers[CHINA].budget(self.pressure_params, 1.0)
        return china.truce_threshold(self.p["truce_cost_share"], calm)

    @property
    def truce(self) -> bool:
        return self.truce_left > 0

    @property
    def eu_pressurer(self) -> bool:
        return self.eu_stance == Stance.PRESSURER

    @property
    def public_investment(self) -> float:
        return self.public_invested

    def member_ids(self) -> list[str]:
        return [s.code for s in self.states if s.status == MEMBER]

    def participant_ids(self) -> list[str]:
        return [s.code for s in self.states if s.status == PARTICIPANT]

    def seatable(self) -> list[str]:
        """Actors that can decide through a policy or a classroom seat: the US, the
        pressurers, and every state that can sign or leave."""
        states = [s.code for s in self.states if can_decide(s.role)]
        return [LEADER, *PRESSURERS, *[c for c in states if c not in PRESSURERS]]

    # -------------------------------------------------------------------- metrics -----
    def _update_metrics(self) -> None:
        """The alliance's supply-chain metrics, at the start and at the end of each
        quarter (``model.metrics``). Capacity moves only in the coordination phase, so the
        shares kept here hold until then: the next quarter's leader and pressurers read
        them."""
        p, w = self.p, self.world
        mm, aligned = self._bloc_masks()
        vol, fro = metrics.shares(w.volume), metrics.shares(w.frontier)
        d = p["alliance_demand_share"]
        self.volume_share, self.frontier_share = vol, fro
        self.member_mask = mm
        self.member_share = held = metrics.bloc_share(vol, mm)  # read by the rules below
        self.self_sufficiency = metrics.self_sufficiency(vol, mm, d, held)
        self.china_share = vol[self.china_row]
        self.covered = metrics.covered(vol, mm, p["coverage_threshold"], held)
        # (how many phases, as ``np.count_nonzero`` counts them: faster than a sum of bools)
        self.covered_phases = int(np.count_nonzero(self.covered))
        controlled = metrics.controlled(fro, mm, p["control_margin"])
        self.controlled_phases = int(np.count_nonzero(controlled))
        self.supply_security = float(self.self_sufficiency.min())
        self.bottleneck = metrics.bottleneck(vol, mm, d, held) + 1
        self.refining_share = float(self.member_share[self.refining])
        # What the members cannot refine for themselves: the bottleneck's gap, read by
        # the members' worth of the alliance, their price pain and investors' returns.
        self.refining_gap = 1.0 - float(self.self_sufficiency[self.refining])
        # Members and participants together; their supply security is only reported, so
        # it is computed when first read (from these shares and this bloc).
        self._aligned: tuple[np.ndarray, float | None] = (
            aligned,
            None,
        )

    def _bloc_masks(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the world's matrices held by the members, and by the members and
        participants together."""
        members = np.zeros(len(self.world.actors), dtype=bool)
        aligned = members.copy()
        for s in self.states:
            if s.status == MEMBER:
                members[s.row] = aligned[s.row] = True
            elif s.status == PARTICIPANT:
                aligned[s.row] = True
        return members, aligned

    @property
    def aligned_supply_security(self) -> float:
        """Supply security of members and participants together, as of the last metrics
        update (the paper's wider "aligned" bloc)."""
        bloc, value = self._aligned
        if value is None:
            value = metrics.supply_security(
                self.volume_share, bloc, self.p["alliance_demand_share"]
            )
            self._aligned = (bloc, value)
        return value

    # ----------------------------------------------------------------------- step -----
    def step(self) -> None:
        """One quarter: the five phases of the process overview, then the record."""
        self.exogenous_events()
        self.coercion()
        self.coordination()
        self.commitment()
        self.update()
        self.datacollector.collect(self)
        if self.steps >= self.p["steps"] or (self.collapsed and self.p["stop_at_collapse"]):
            self.running = False

    def run(self) -> None:
        """Run to the horizon (or to collapse with ``stop_at_collapse``)."""
        while self.running:
            self.step()

    def _ask(self, turns: list[Turn]) -> dict[str, Any]:
        return play_round(self.deciders, turns)

    # Phase 1 -------------------------------------------------------------------------
    def exogenous_events(self) -> None:
        """Scripted events, a chance of a US reversal, and the leader's levers."""
        for s in self.states:
            s.reversal_shock = 0.0
            s.side_payment = 0.0
            s.inflow = 0.0
            if s.pressure_received:  # only members under pressure have any (``_land``)
                s.pressure_received = {}
                s.pain_by = {}
                s.pressure_pain = 0.0
        self.joins_now = 0
        # Last quarter's price shock fades before this quarter's events land.
        self.shock = market.fade(self.shock, self.p["price_mean_reversion"])
        for e in self.scripted.get(self.steps, []):
            self._scripted(e)
        if leader.reversal(self.rng, self.p["leader_volatility"]):
            self._reversal("a US policy reversal (tariffs on allies, a deal over their heads)")
        lazy = self.deciders.trusts(LEADER)  # the model's own US decides at once
        choice = self._ask([Turn(LEADER, Kind.LEADER, views.leader_view(self, lazy))])[LEADER]
        self._apply_leader(choice)

    def leader_view(self):
        """What the US sees at the start of the quarter (``model.views.leader_view``)."""
        return views.leader_view(self)

    def _apply_leader(self, choice: LeaderChoice) -> None:
        for who, amount in choice.side_payments.items():
            self.by_id[who].side_payment = float(amount)
            self.side_paid += float(amount)
        if choice.invite is not None:
            self._invite(self.by_id[choice.invite])
        for who, phase, amount in choice.investments:
            self._public_project(self.by_id[who].row, phase - 1, float(amount))
        if choice.truce:
            self._credibility_event(-self.p["truce_credibility_cost"])
            self._start_truce(
                self.p["truce_length"], "the US agrees a truce with China over its allies' heads"
            )

    def _public_project(self, row: int, phase: int, amount: float) -> None:
        if amount > 0:
            self.public_pipeline.append((self.steps + int(self.lags[phase]), row, phase, amount))
            self.public_invested += amount

    def _scripted(self, e: Event) -> None:
        if e.type == "reversal":
            self._reversal("a scripted US policy reversal")
        elif e.type == "truce":
            self._start_truce(e.length or self.p["truce_length"], "a scripted truce")
        elif e.type == "invite":
            self._invite(self.by_id[e.actor])
        elif e.type == "force_out":
            s = self.by_id[e.actor]
            if s.status == MEMBER and s.role != Role.LEADER:
                self._defect(s, "is forced out (scripted event)")
        elif e.type == "export_control":
            share = (
                e.china_share
                if e.china_share is not None
                else float(self.china_share[self.refining])
            )
            jump = market.price_multiplier(e.stringency, share, self.p["price_elasticity"])
            self.shock *= jump
            self._log(
                EventKind.EXPORT_CONTROL,
                CHINA,
                f"China imposes export controls on {e.material} (withholding "
                f"{e.stringency:.0%} of a {share:.0%} share); input prices x{jump:.2f}",
            )

    def _reversal(self, what: str) -> None:
        self._credibility_event(-self.p["reversal_credibility_hit"])
        for s in self.allies:
            if s.status == MEMBER:
                s.reversal_shock += self.p["reversal_grievance"]
        self.eu_reversals += 1
        self._log(EventKind.REVERSAL, LEADER, f"{what}; credibility {self.credibility:.2f}")

    def _invite(self, s: StateAgent) -> None:
        if s.status == MEMBER:
            return
        s.invited = True
        self.last_invite = self.steps
        self._log(EventKind.INVITATION, s.code, f"the US invites {s.name} to sign")

    # Phase 2 -------------------------------------------------------------------------
    def coercion(self) -> None:
        """Pressurers choose whom to press; pressure lands; controls set the price."""
        p = self.p
        truce = self.truce_left > 0  # a truce covers whole quarters
        targets_of = self._targets()
        china_choice = ChinaChoice(inducement_share=p["inducement_share"])
        china_rank = None
        if CHINA in targets_of:
            view = views.china_view(self, targets_of[CHINA], truce)
            china_choice = self._ask([Turn(CHINA, Kind.CHINA, view)])[CHINA]
            china_rank = china_choice.ranking or list(china_choice.pressure) or None
        others = self._other_pressure(targets_of, china_rank if p["counter_alliance"] else None)
        received = self._spend({CHINA: china_choice, **others})
        self._land(received, china_choice.inducement_share)
        self._set_price(china_choice.controls)
        if truce:
            self.truce_left -= 1
        elif china_choice.truce:
            self._start_truce(
                p["truce_length"], "China seeks a truce after a year of costly pressure"
            )

    def _targets(self) -> dict[str, list[Target]]:
        """The members (but the leader) as each active pressurer sees them."""
        members = [s for s in self.allies if s.status == MEMBER]
        total = sum(s.weight for s in members)
        self._chokepoints = chokepoints(
            self.frontier_share, self.china_row, self.p["chokepoint_china_share"]
        ).tolist()
        seen = [
            (
                s.code,
                s.name,
                target_value(s.weight, total),
                s.actor.gdp_usd_bn,
                self._chokepoints[s.row],
            )
            for s in members
        ]
        return {
            pid: [
                Target(c, name, v, self.exposure[c][pid], self.resistance_by[c][pid], g, ch)
                for c, name, v, g, ch in seen
            ]
            for pid, pr in self.pressurers.items()
            if presses(pr.active, pid in self.by_id and self.by_id[pid].status == MEMBER)
        }

    def _other_pressure(
        self, targets_of: dict[str, list[Target]], follow: list[str] | None
    ) -> dict[str, PressurerChoice]:
        """Russia, Brazil and the EU: asked if a policy or seat decides for them, else
        their rule. In a counter-alliance they follow China's ranking (the EU never)."""
        p = self.p
        follows = {pid: None if pid == EU else follow for pid in PRESSURERS[1:]}
        asked = [
            Turn(
                pid, Kind.PRESSURER, views.pressurer_view(self, pid, targets_of[pid], follows[pid])
            )
            for pid in PRESSURERS[1:]
            if pid in targets_of and pid in self.deciders.asks
        ]
        others = self._ask(asked) if asked else {}
        for pid in PRESSURERS[1:]:
            if pid in targets_of and pid not in others:
                pr = self.pressurers[pid]
                others[pid] = PressurerChoice(
                    rule_allocation(
                        pr,
                        targets_of[pid],
                        pr.budget(self.pressure_params, self.escalation),
                        p["max_pressure_per_target"],
                        p["chokepoint_deterrence"],
                        p["denial_cost_unit"],
                        follows[pid],
                    )
                )
        return others

    def _spend(self, choices: dict[str, ChinaChoice | PressurerChoice]) -> dict[str, dict]:
        """Book each pressurer's spending; return the units each member received, by
        pressurer."""
        received: dict[str, dict[str, float]] = {}
        for pid in PRESSURERS:
            pr = self.pressurers[pid]
            self.pressure_by[pid] = 0.0
            if pid not in choices:  # it does not press this quarter (``_targets``)
                pr.spent.append(0.0)
                continue
            spent = 0.0
            for code, units in choices[pid].pressure.items():
                if units > 0:
                    received.setdefault(code, {})[pid] = units
                spent += units
            pr.spent.append(spent)
            self.pressure_by[pid] = spent
        return received

    def _land(self, received: dict[str, dict[str, float]], china_inducement: float) -> None:
        """Pressure lands on each member (``agents.pressurer.pain_landed``); each state's
        streak under each pressurer moves on."""
        for code, by in received.items():
            s = self.by_id[code]
            s.pressure_received = by
            s.pain_by = pain_landed(
                by,
                self.exposure[code],
                self.resistance_by[code],
                self._chokepoints[s.row],
                china_inducement,
                self.pressure_params,
            )
            s.pressure_pain = sum(s.pain_by.values())
        for s in self.states:
            if s.pressure_received or s.pressure_streak:
                s.pressure_streak = pressure_streaks(s.pressure_streak, s.pressure_received)

    def _set_price(self, controls: float) -> None:
        """China's standing controls and the fading shock set this quarter's price."""
        p = self.p
        self.control_level = market.price_multiplier(
            controls, float(self.china_share[self.refining]), p["price_elasticity"]
        )
        cost = china.quarter_cost(self.pressure_by[CHINA], controls, p["control_cost"])
        self.china_spent.append(cost)
        self.china_cost_total += cost
        self.price_index = market.price_index(self.control_level, self.shock)
        self.price_history.append(self.price_index)
        self._volatility = market.price_volatility(self.price_history)

    def _start_truce(self, length: int, why: str) -> None:
        """Pressure and controls stop for ``length`` quarters; China's escalation goes
        back to 1 and its record of spending is cleared."""
        self.truce_left = length
        self.escalation = 1.0
        self.china_spent.clear()
        self._log(
            EventKind.TRUCE, CHINA, f"{why}: controls suspended for {quarters_in_words(length)}"
        )

    # Phase 3 -------------------------------------------------------------------------
    def coordination(self) -> None:
        """Investors commit or withdraw; projects mature; China grows on its trend."""
        p, w, t = self.p, self.world, self.steps
        hosts = [s.row for s in self.states if s.status == MEMBER]
        rows = np.array(hosts, dtype=int)
        gone = np.ones(len(w.actors), dtype=bool)  # projects outside the members are
        gone[rows] = False  # abandoned (from today's status: a force-out may be this quarter's)
        view = MarketView(
            credibility=self.credibility,
            self_sufficiency=self.self_sufficiency,
            price_index=self.price_index,
            volatility=self.price_volatility,
            refining_gap=self.refining_gap,
            member_rows=rows,
            member_weights=project_weights(w.volume[rows], p["project_floor"]),
            quarter=t,
        )
        flows = self.investors.step(view, self.rng, gone)
        if flows["rows"].size:
            # Each state's inflow, added up in investor order (np.add.at adds one by one,
            # as a loop over the flows would: the same sums to the bit).
            inflow = np.zeros(len(w.actors))
            np.add.at(inflow, flows["rows"], flows["amounts"])
            for row, amount in zip(hosts, inflow[hosts].tolist(), strict=True):
                self.by_row[row].inflow += amount
        rows_m, phases_m, amounts_m = self.investors.mature(t)
        if rows_m.size:
            w.build(rows_m, phases_m, amounts_m / self.capex[phases_m])
        due = [x for x in self.public_pipeline if x[0] <= t]
        if due:
            self.public_pipeline = [x for x in self.public_pipeline if x[0] > t]
            _, rows_p, phases_p, amounts_p = (np.array(c) for c in zip(*due, strict=True))
            w.build(rows_p, phases_p, amounts_p / self.capex[phases_p])
        china.grow_capacity(
            w.volume, w.frontier, self.china_row, self.china_growth_q, self.has_segment
        )
        # Where a phase has no frontier segment of its own, its frontier is its volume.
        np.copyto(w.frontier, w.volume, where=self.no_segment)

    # Phase 4 -------------------------------------------------------------------------
    def snapshot(self, peers: bool = True) -> Snapshot:
        """What every state sees now (``agents.state.Snapshot``): built at the start of
        the commitment phase for the states' decisions, and at the start of a quarter for
        the US's reading of whom to invite. ``peers=False``: without the shares of peers
        who left (``defected_tie_share`` empty), for a reader that does not use them (the
        US's sounding of a candidate, ``StateAgent.join_balance``)."""
        p, pp = self.p, self.pressure_params
        status = [s.status for s in self.states] if peers else []
        uids = [s.unique_id for s in self.states] if peers else []
        defected = [x == DEFECTED for x in status]
        if any(defected):
            left = dict(
                zip(
                    uids,
                    peers_who_left(
                        self.tie_matrix,
                        np.array([x == MEMBER or x == DEFECTED for x in status]),
                        np.array(defected),
                        self.state_weights,
                    ).tolist(),
                    strict=True,
                )
            )
        else:  # nobody has left: every share is 0 (what peers_who_left gives, to the bit)
            left = dict.fromkeys(uids, 0.0)
        budget = self.pressurers[CHINA].budget(pp, self.escalation)
        gap = self.refining_gap
        snap = Snapshot(
            credibility=self.credibility,
            secure_supply=secure_supply(
                self.controlled_phases / self.n_phases, gap, p["bottleneck_weight"]
            ),
            price_index=self.price_index,
            refining_gap=gap,
            defected_tie_share=left,
            expected_pressure=china.pressure_on_newcomer(
                self.truce_left, budget, p["max_pressure_per_target"], p["grievance_memory"]
            ),
        )
        return snap

    def commitment(self) -> None:
        """Members weigh staying; non-members weigh joining; then all moves apply."""
        p = self.p
        cp, pp = self.commitment_params, self.pressure_params
        snap = self.snapshot()
        shocks = domestic_noise(self.rng, p["political_noise"], len(self.states))
        for s, shock in zip(self.states, shocks, strict=True):
            if s.status == MEMBER:
                s.assess(snap, cp, shock)
        decisions = [(s, s.decide(snap, cp, pp)) for s in self.states]
        asks = self.deciders.asks  # most runs: nobody (every state follows its rule)
        turns = (
            [
                Turn(s.code, Kind.MEMBER, views.member_view(self, s, snap, d))
                for s, d in decisions
                if s.code in asks and s.may_decide()
            ]
            if asks
            else []
        )
        if turns:
            choices = self._ask(turns)
            decisions = [
                (s, Decision(choices[s.code].action) if s.code in choices else d)
                for s, d in decisions
            ]
        for s, d in decisions:
            if d == LEAVE:
                self._defect(s, self._why(s))
            elif d == JOIN:
                self._join(s)
            else:
                if s.status == DEFECTED:
                    s.cooldown -= 1
                if s.invited and s.status != MEMBER:
                    s.invited = False
                    s.refusals += 1
                    s.last_refusal = self.steps
                    self._credibility_event(-p["refusal_credibility_cost"])
                    self._log(
                        EventKind.REFUSAL,
                        s.code,
                        f"{s.name} declines the US invitation; credibility {self.credibility:.2f}",
                    )

    def _why(self, s: StateAgent) -> str:
        """Why a member leaves, in words (``model.events.why_member_leaves``)."""
        pid = max(s.pain_memory, key=s.pain_memory.get, default=None)
        streak = s.pressure_streak.get(pid, 0) if pid else 0
        adjective = self.world.actors[self.world.idx(pid)].adjective if pid else None
        return why_member_leaves(s.main_reason(), adjective, streak)

    def _defect(self, s: StateAgent, why: str) -> None:
        s.status = DEFECTED
        self.left_at.append(self.steps)
        s.cooldown = self.p["rejoin_cooldown"]
        s.grievance = 0.0
        self._credibility_event(
            -leader.defection_hit(self.p["defection_credibility_hit"], s.weight, self.n_founders)
        )
        self._log(
            EventKind.DEFECTION, s.code, f"{s.name} {why}; credibility {self.credibility:.2f}"
        )

    def _join(self, s: StateAgent) -> None:
        returning, was_invited = s.status == DEFECTED, s.invited
        s.status = MEMBER
        s.invited = False
        s.grievance = 0.0
        for k in s.components:
            s.components[k] = 0.0
        self.joins_now += 1
        self._credibility_event(self.p["join_credibility_gain"])
        verb = (
            "returns to the alliance"
            if returning
            else "accepts the US invitation and signs"
            if was_invited
            else "signs the declaration"
        )
        self._log(
            EventKind.ACCESSION, s.code, f"{s.name} {verb}; credibility {self.credibility:.2f}"
        )

    def _credibility_event(self, change: float) -> None:
        self.credibility = leader.credibility_after(self.credibility, change)

    # Phase 5 -------------------------------------------------------------------------
    def update(self) -> None:
        """Credibility, China's escalation and the EU's stance move; survival is
        checked (``model.survival``)."""
        p = self.p
        self._update_metrics()
        ratio, share = self.commit_ratio, self.founding_share  # fixed from here on
        self.credibility = leader.update_credibility(
            self.credibility,
            ratio,
            self.controlled_phases,
            self.n_phases,
            share,
            self.credibility_params,
        )
        gain = max(0.0, self.refining_share - self.initial_refining_share)
        before = self.escalation
        if self.truce_left == 0:
            headroom = china.coercion_headroom(
                sum(self.china_spent[-4:]), self.truce_cost, self.members_peeled
            )
            self.escalation = china.escalate(
                self.escalation,
                self.joins_now,
                gain,
                self.last_gain,
                headroom,
                self.escalation_params,
            )
        self.last_gain = gain
        if self.escalation >= p["control_escalation"] > before:
            self._log(
                EventKind.ESCALATION,
                CHINA,
                "China escalates to export controls on refined inputs "
                f"(escalation {self.escalation:.1f})",
            )
        eu = self.by_id.get(EU)
        if eu is not None and eu_turns(
            self.eu_stance,
            eu.status == MEMBER,
            self.eu_reversals,
            p["eu_exclusion_threshold"],
        ):
            self.eu_stance = Stance.PRESSURER
            self.pressurers[EU].active = True
            self._log(
                EventKind.EU_TURNS,
                EU,
                "The EU, left out and hit by US reversals, turns to pressuring members",
            )
        if not self.collapsed:
            sp = self.survival_params
            below = survival.below_floors(self.credibility, ratio, sp)
            self.floor_streak = survival.floor_streak(self.floor_streak, below)
            reason = survival.collapse_reason(
                share, self.floor_streak, sp, self.founding_members, self.n_founding
            )
            if reason:
                self.collapsed = True
                self.collapse_quarter = self.steps
                self.collapse_reason = reason
                self._log(EventKind.COLLAPSE, LEADER, f"The alliance collapses: {reason}")

    # ------------------------------------------------------------------ outputs -------
    def _log(self, kind: EventKind, actor: str, text: str) -> None:
        q = self.steps
        self.events.append(LogEvent(q, self.when(q), kind, actor, f"{self.when(q)}: {text}"))

    def outcome(self) -> dict:
        """The run's result: survival with time to collapse (censored at the horizon),
        final metrics, and what the run cost each side: the US's side payments and public
        investment (US$bn over the run, the horizon's, collapse or not) and China's coercion
        (pressure units plus the cost of its controls, as counted towards a truce)."""
        horizon = self.p["steps"]
        return {
            "survived": not self.collapsed,
            "collapse_quarter": self.collapse_quarter,
            "time_to_collapse": self.collapse_quarter if self.collapsed else horizon,
            "event_observed": bool(self.collapsed),
            "collapse_reason": self.collapse_reason,
            "quarters_run": self.steps,
            "final_members": self.members,
            "final_founding_members": self.founding_members,
            "final_defectors": self.defectors,
            "final_joined": self.joined,
            "final_credibility": self.credibility,
            "final_capital_committed": self.capital_committed,
            "final_capital_stranded": self.capital_stranded,
            "final_covered_phases": self.covered_phases,
            "final_supply_security": self.supply_security,
            "final_refining_share": self.refining_share,
            "final_price_index": self.price_index,
            "final_bottleneck": self.bottleneck,
            "us_side_payments": self.side_paid,
            "us_public_investment": self.public_invested,
            "us_cost": self.side_paid + self.public_invested,
            "china_coercion_cost": self.china_cost_total,
        }
