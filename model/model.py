"""``PaxSilicaModel``: the Mesa model that ties the three games together.

One step is one quarter (default 40 quarters, 2026-2035). The phases of a step:

1. exogenous events: scripted events, a chance of a US policy reversal, the leader's
   side payments, invitation and direct investment;
2. coercion: pressurers pick targets and instruments; pressure lands; the price index
   of critical refined inputs moves (controls, mean reversion);
3. coordination: investors update beliefs and invest or withdraw; pipelines advance;
   matured projects add capacity; China's capacity follows its trend;
4. commitment: members update grievance and decide to stay or defect; non-members decide
   whether to join (or accept an invitation); defectors may return after a cool-down;
5. credibility, China's escalation and the EU's stance update; survival is checked; data
   are collected; events are logged in plain language.

Every decision in phases 2-4 is computed from the state at the start of that phase and
applied afterwards, so the order of agents does not bias results.

Actors decide through ``agents.policy``: the model asks in *rounds* of :class:`Turn`
(the US in phase 1; China, then the other pressurers, in phase 2; the states in phase 4)
through ``decide_round``, which by default asks each actor's policy (its rules unless a
player or script was given). A classroom replaces ``decide_round`` to wait for students.
Cascades unfold over quarters (one round of decisions per quarter), not to a fixed point
within a quarter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import mesa
import networkx as nx
import numpy as np

from agents import leader as L
from agents.investor import InvestorAgent, InvestorPopulation, MarketView
from agents.policy import (
    JOIN,
    LEAVE,
    STAY,
    STAY_OUT,
    Candidate,
    ChinaChoice,
    ChinaView,
    LeaderChoice,
    LeaderView,
    MemberInfo,
    MemberView,
    PolicyError,
    PressurerChoice,
    PressurerView,
    RuleBasedChina,
    RuleBasedLeader,
    RuleBasedMember,
    RuleBasedPressurer,
    Turn,
    check,
    max_controls,
    rule_choice,
)
from agents.pressurer import (
    ADJECTIVE,
    Pressurer,
    Target,
    pressure_pain,
    price_multiplier,
    rule_allocation,
)
from agents.state import DEFECTED, MEMBER, OUTSIDE, PARTICIPANT, Snapshot, StateAgent
from model import metrics as M
from model import params as P
from model.scenario import Event, Scenario, ScenarioError, load_scenario
from model.wording import quarters_in_words
from model.world import CHINA, LEADER

PRESSURERS = ("CHN", "RUS", "BRA", "EUR")
# Deciders whose choices are the model's own rules (no policy given means the rule).
OWN_RULES = (type(None), RuleBasedLeader, RuleBasedChina, RuleBasedPressurer, RuleBasedMember)
RIVALS = ("CHN", "RUS", "BRA")
REFINING = 1  # 0-based index of phase 2


@dataclass(frozen=True)
class LogEvent:
    """One line of the event log: when, what, who, and why in plain language."""

    quarter: int
    when: str
    kind: str
    actor: str
    text: str


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


class NoCollector:
    """The data collector of a model built with ``collect=False``: collects nothing.
    ``outcome()`` does not read the collector; asking for a series says why there is none."""

    def collect(self, model) -> None:
        pass

    def _none(self, *args, **kwargs):
        raise RuntimeError(
            "this model was built with collect=False and recorded no "
            "per-quarter series; build it with collect=True (the default)"
        )

    get_model_vars_dataframe = get_agent_vars_dataframe = get_agenttype_vars_dataframe = _none


@cache
def _tie_network(states: tuple[tuple[str, str, str], ...]) -> tuple[nx.Graph, np.ndarray]:
    """The ties among states (code, name, region), built once per process and shared by
    every model: a frozen graph and a read-only matrix (both raise if changed in place)."""
    g = nx.Graph()
    for code, name, region in states:
        g.add_node(code, name=name, region=region)
    for i, (a, _, ra) in enumerate(states):
        for b, _, rb in states[i + 1 :]:
            g.add_edge(a, b, weight=1.0 if ra == rb else 0.5)
    matrix = nx.to_numpy_array(g, nodelist=[s[0] for s in states], weight="weight")
    matrix.flags.writeable = False
    return nx.freeze(g), matrix


class PaxSilicaModel(mesa.Model):
    """The Pax Silica alliance game.

    Args:
        scenario: a preset name, a path to a scenario TOML file, or a ``Scenario``.
        rng: seed (int, or digits as text) or ``numpy.random.Generator``.
        collect_investors: also record every investor's state each quarter (memory
            grows with investors x quarters; off by default).
        collect: record the per-quarter series at all (default). ``collect=False``
            (sweeps that keep only ``outcome()``) puts a no-op ``NoCollector`` in
            ``datacollector``: same run, same outcome, about a fifth less time.
        policies: who decides for an actor (``agents.policy``): "USA", "CHN", another
            pressurer ("RUS", "BRA", "EUR") or a state that may sign or leave; by default
            every actor follows its rules. A player's policy gets the same view and
            budgets.
        ask: further actors whose decisions go through ``decide_round`` (classroom
            seats; they follow their rules unless ``decide_round`` is replaced).
        **params: any parameter of ``model/data/parameters.toml``, overriding the
            scenario's value (validated; a bad value raises ``ScenarioError``).
    """

    def __init__(
        self,
        scenario: str | Scenario = "baseline",
        rng: Any = None,
        collect_investors: bool = False,
        policies: dict | None = None,
        ask: Any = (),
        collect: bool = True,
        **params: Any,
    ):
        config = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        p = dict(config.params)
        for k, v in params.items():
            try:
                p[k] = P.coerce(k, v, from_text=isinstance(v, str))
            except P.ParameterError as e:
                raise ScenarioError("model", k, e.detail) from None
        rng = _coerce_rng(rng)
        super().__init__(rng=rng)
        self.rng_seed = rng if isinstance(rng, int) else None
        self.config = config
        self.p = p
        self.world = config.world()
        w = self.world
        self.n_phases = len(w.phases)
        self.lags = np.array([ph.build_lag_quarters for ph in w.phases])
        self.capex = np.array([ph.capex_usd_bn_per_unit for ph in w.phases])
        self.china_growth_q = (1.0 + np.array([ph.china_growth_pa for ph in w.phases])) ** 0.25
        self.has_segment = ~np.all(w.volume == w.frontier, axis=0)
        self.china_row = w.idx(CHINA)
        self.real_mask = w.mask(w.state_ids)

        self.policies = {"USA": RuleBasedLeader(), "CHN": RuleBasedChina()}
        self.policies.update(policies or {})
        self._make_states(config)
        self._make_ties()
        self.asked = {"USA", "CHN"} | set(self.policies) | set(ask)
        seatable = set(self.seatable())
        for who in sorted(self.asked - seatable):
            raise ScenarioError(
                "model",
                "policies",
                f"{who!r} cannot decide; expected one of {', '.join(sorted(seatable))}",
            )
        self.decide_round = self.decide_by_policies
        self.pressurers = {
            a: Pressurer(a, active=(a != "EUR") or self.eu_stance == "pressurer")
            for a in PRESSURERS
        }
        # Each state's exposure to each pressurer's market (% of GDP), fixed over a run.
        self.exposure = {
            a: {s.code: pr.exposure_of(s) for s in self.states} for a, pr in self.pressurers.items()
        }
        self.investors = InvestorPopulation(self, p["n_investors"], p, self.n_phases, self.rng)
        self.investors.set_lags(self.lags)

        self.credibility = p["initial_credibility"]
        self.control_level = 1.0  # price multiplier of standing controls
        self.shock = 1.0  # transient price shock, mean-reverting to 1
        self.price_index = 1.0
        self.price_history = [1.0]
        self._volatility = M.price_volatility(self.price_history)
        self.escalation = min(p["initial_escalation"], p["max_escalation"])
        self.truce_left = p["initial_truce"]
        self.eu_reversals = 0
        self.china_spent: list[float] = []
        self.public_pipeline: list[tuple[int, int, int, float]] = []  # due, row, phase, bn
        self.public_invested = 0.0
        self.floor_streak = 0
        self.collapsed = False
        self.collapse_quarter: int | None = None
        self.collapse_reason = ""
        self.last_invite = -(10**6)
        self.events: list[LogEvent] = []
        self.pressure_by = dict.fromkeys(PRESSURERS, 0.0)
        self.joins_now = 0
        self.last_gain = 0.0
        self.scripted = {}
        for e in config.events:
            self.scripted.setdefault(e.quarter, []).append(e)
        self._update_metrics()
        self.initial_refining_share = self.refining_share
        self.datacollector = self._make_collector(collect_investors, collect)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ construction --
    def _make_states(self, config: Scenario) -> None:
        p, w = self.p, self.world
        members, participants = set(config.members), set(config.participants)
        self.states: list[StateAgent] = []
        # Draw thresholds in actor-id order so creation order cannot change them.
        ids = sorted(w.state_ids)
        spread = p["threshold_spread"]
        draws = dict(zip(ids, self.rng.uniform(1 - spread, 1 + spread, len(ids)), strict=True))
        vol = M.shares(w.volume)
        downstream = vol[:, 2:].sum(axis=1)
        base = downstream[w.mask(members)].mean()
        for a in w.actors:
            if a.kind != "state":
                continue
            status = MEMBER if a.id in members else PARTICIPANT if a.id in participants else OUTSIDE
            role = (
                "leader"
                if a.id == LEADER
                else "signatory"
                if status == MEMBER
                else "participant"
                if status == PARTICIPANT
                else "rival"
                if a.id in RIVALS
                else "outsider"
            )
            resistance = min(
                0.95, p["resistance_base"] + p["resistance_security"] * a.us_security_tie
            )
            threshold = p["defection_threshold"] * (1.0 + resistance) * draws[a.id]
            agent = StateAgent(self, a, status, role, resistance, threshold)
            agent.dependence = float(downstream[w.idx(a.id)] / base) if base > 0 else 1.0
            agent.row = w.idx(a.id)
            self.states.append(agent)
        self.by_id = {s.code: s for s in self.states}
        self.leader = self.by_id[LEADER]
        self.n_founding = sum(s.founding for s in self.states)
        eu = self.by_id.get("EUR")
        self.eu_stance = "pressurer" if eu is not None and eu.status == OUTSIDE else "partner"

    def _make_ties(self) -> None:
        """Ties among states: 1 within a region, 0.5 across (peers watch neighbours most).
        A pure function of the states, so built once per process (``_tie_network``)."""
        self.ties, self.tie_matrix = _tie_network(
            tuple((s.code, s.name, s.actor.region) for s in self.states)
        )

    def _make_collector(
        self, collect_investors: bool, collect: bool = True
    ) -> mesa.DataCollector | NoCollector:
        if not collect:
            return NoCollector()
        reporters = {
            k: k
            for k in (
                "quarter",
                "members",
                "founding_members",
                "participants",
                "defectors",
                "joined",
                "credibility",
                "capital_committed",
                "capital_pipeline",
                "capital_built",
                "capital_stranded",
                "capital_idle",
                "price_index",
                "price_volatility",
                "supply_security",
                "aligned_supply_security",
                "bottleneck",
                "covered_phases",
                "controlled_phases",
                "refining_share",
                "china_escalation",
                "truce",
                "eu_pressurer",
                "collapsed",
                "public_investment",
            )
        }
        for a in PRESSURERS:
            reporters[f"pressure_{a}"] = lambda m, a=a: m.pressure_by[a]
        for k in range(self.n_phases):
            reporters[f"signatory_share_{k + 1}"] = lambda m, k=k: float(m.member_share[k])
            reporters[f"china_share_{k + 1}"] = lambda m, k=k: float(m.china_share[k])
        types = {
            StateAgent: {
                "actor": "code",
                "status": "status",
                "grievance": "grievance",
                "threshold": "threshold",
                "pressure": "pressure_total",
                "side_payment": "side_payment",
                "inflow": "inflow",
            }
        }
        if collect_investors:
            types[InvestorAgent] = {
                "kind": "kind",
                "belief": "belief",
                "idle": "idle",
                "pipeline": "pipeline",
                "built": "built",
                "stranded": "stranded",
            }
        return mesa.DataCollector(model_reporters=reporters, agenttype_reporters=types)

    # ------------------------------------------------------------------- reporters ----
    @property
    def quarter(self) -> int:
        return self.steps

    def when(self, quarter: int | None = None) -> str:
        q = self.steps if quarter is None else quarter
        return (
            f"{self.p['start_year'] + (q - 1) // 4} Q{(q - 1) % 4 + 1}"
            if q > 0
            else f"{self.p['start_year'] - 1} Q4"
        )

    @property
    def members(self) -> int:
        return sum(s.status == MEMBER for s in self.states)

    @property
    def founding_members(self) -> int:
        return sum(s.founding and s.status == MEMBER for s in self.states)

    @property
    def participants(self) -> int:
        return sum(s.status == PARTICIPANT for s in self.states)

    @property
    def defectors(self) -> int:
        return sum(s.status == DEFECTED for s in self.states)

    @property
    def joined(self) -> int:
        return sum(s.status == MEMBER and not s.founding for s in self.states)

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
    def truce(self) -> bool:
        return self.truce_left > 0

    @property
    def eu_pressurer(self) -> bool:
        return self.eu_stance == "pressurer"

    @property
    def public_investment(self) -> float:
        return self.public_invested

    def member_ids(self) -> list[str]:
        return [s.code for s in self.states if s.status == MEMBER]

    def participant_ids(self) -> list[str]:
        return [s.code for s in self.states if s.status == PARTICIPANT]

    # -------------------------------------------------------------------- metrics -----
    def _update_metrics(self) -> None:
        """The alliance's supply-chain metrics, at the start and at the end of each
        quarter (``model.metrics``). Capacity moves only in the coordination phase, so the
        shares kept here hold until then: the next quarter's leader and pressurers read
        them."""
        p, w = self.p, self.world
        mm = w.mask(self.member_ids())
        vol, fro = M.shares(w.volume), M.shares(w.frontier)
        d = p["alliance_demand_share"]
        self.volume_share, self.frontier_share = vol, fro
        self.member_mask = mm
        self.self_sufficiency = M.self_sufficiency(vol, mm, d)
        self.member_share = M.bloc_share(vol, mm)
        self.china_share = vol[self.china_row]
        self.covered = M.covered(vol, mm, p["coverage_threshold"])
        self.covered_phases = int(self.covered.sum())
        self.controlled_phases = int(
            M.controlled(fro, mm, self.real_mask & ~mm, p["control_margin"]).sum()
        )
        self.supply_security = float(self.self_sufficiency.min())
        self.bottleneck = M.bottleneck(vol, mm, d) + 1
        self.refining_share = float(self.member_share[REFINING])
        # Members and participants together; their supply security is only reported, so
        # it is computed when first read (from these shares and this bloc).
        self._aligned: tuple[np.ndarray, float | None] = (mm | w.mask(self.participant_ids()), None)

    @property
    def aligned_supply_security(self) -> float:
        """Supply security of members and participants together, as of the last metrics
        update (the paper's wider "aligned" bloc)."""
        bloc, value = self._aligned
        if value is None:
            value = M.supply_security(self.volume_share, bloc, self.p["alliance_demand_share"])
            self._aligned = (bloc, value)
        return value

    def _gains_if_joined(self, rows: list[int]) -> np.ndarray:
        """What each non-member's signature would add (``rows``: their actor rows):
        covered and controlled phases and mean self-sufficiency, each as a share (the
        leader's invitation criterion), against the alliance as it stands. All candidates
        at once, as stacked blocs: the members plus one candidate each."""
        p, n = self.p, self.n_phases
        blocs = np.repeat(self.member_mask[None, :], len(rows), axis=0)
        blocs[np.arange(len(rows)), rows] = True
        vol, fro = self.volume_share, self.frontier_share
        suff = M.self_sufficiency(vol, blocs, p["alliance_demand_share"])
        covered = M.covered(vol, blocs, p["coverage_threshold"])
        controlled = M.controlled(fro, blocs, self.real_mask & ~blocs, p["control_margin"])
        return (
            (covered.sum(axis=1) - self.covered_phases) / n
            + (controlled.sum(axis=1) - self.controlled_phases) / n
            + (suff.mean(axis=1) - self.self_sufficiency.mean())
        )

    # ----------------------------------------------------------------------- step -----
    def step(self) -> None:
        t = self.steps
        self._exogenous(t)
        self._coercion(t)
        self._coordination(t)
        self._commitment(t)
        self._update(t)
        self.datacollector.collect(self)
        if t >= self.p["steps"] or (self.collapsed and self.p["stop_at_collapse"]):
            self.running = False

    def run(self) -> None:
        """Run to the horizon (or to collapse with ``stop_at_collapse``)."""
        while self.running:
            self.step()

    # Phase 1 -------------------------------------------------------------------------
    def _exogenous(self, t: int) -> None:
        p = self.p
        for s in self.states:
            s.reversal_shock = 0.0
            s.side_payment = 0.0
            s.inflow = 0.0
            s.pressure_received = {}
            s.pain_by = {}
            s.pressure_pain = 0.0
        self.joins_now = 0
        # Last quarter's price shock fades before this quarter's events land.
        self.shock = 1.0 + (self.shock - 1.0) * (1.0 - p["price_mean_reversion"])
        for e in self.scripted.get(t, []):
            self._scripted(e)
        if L.reversal(self.rng, p["leader_volatility"]):
            self._reversal("a US policy reversal (tariffs on allies, a deal over their heads)")
        view = self.leader_view()
        choice = self._ask([Turn("USA", "leader", view)])["USA"]
        self._apply_leader(choice, t)

    def leader_view(self) -> LeaderView:
        """What the US sees at the start of the quarter (for its policy, or a player)."""
        p, t = self.p, self.steps
        may_invite = (
            p["invitations"]
            and self.credibility >= p["invite_credibility"]
            and t - self.last_invite >= p["invite_interval"]
        )
        candidates = []
        if may_invite:
            open_to = [
                s for s in self.states if s.status in (PARTICIPANT, OUTSIDE) and s.role != "rival"
            ]
            if open_to:
                gains = self._gains_if_joined([s.row for s in open_to])
                candidates = [
                    Candidate(s.code, s.name, float(g)) for s, g in zip(open_to, gains, strict=True)
                ]
        members = [
            MemberInfo(s.code, s.name, s.actor.gdp_usd_bn, s.grievance / max(s.threshold, 1e-9))
            for s in self.states
            if s.status == MEMBER and s.role != "leader"
        ]
        return LeaderView(
            quarter=t,
            when=self.when(t),
            credibility=self.credibility,
            side_payment_budget=p["side_payment_budget"],
            side_payment_targets=p["side_payment_targets"],
            investment_budget=p["leader_investment"] + p["refining_investment"],
            leader_investment=p["leader_investment"],
            refining_investment=p["refining_investment"],
            refining_investors=list(p["refining_investors"]),
            bottleneck=self.bottleneck,
            members=members,
            candidates=candidates,
            may_invite=may_invite,
            truce_active=self.truce_left > 0,
            china_escalation=self.escalation,
            controlled_phases=self.controlled_phases,
            price_index=self.price_index,
        )

    def _apply_leader(self, choice: LeaderChoice, t: int) -> None:
        for who, amount in choice.side_payments.items():
            self.by_id[who].side_payment = float(amount)
        if choice.invite is not None:
            self._invite(self.by_id[choice.invite])
        for who, phase, amount in choice.investments:
            self._public_project(self.by_id[who].row, phase - 1, float(amount), t)
        if choice.truce:
            self.credibility = max(0.0, self.credibility - self.p["truce_credibility_cost"])
            self._start_truce(
                self.p["truce_length"], "the US agrees a truce with China over its allies' heads"
            )

    def _public_project(self, row: int, phase: int, amount: float, t: int) -> None:
        if amount > 0:
            self.public_pipeline.append((t + int(self.lags[phase]), row, phase, amount))
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
            if s.status == MEMBER and s.role != "leader":
                self._defect(s, "is forced out (scripted event)")
        elif e.type == "export_control":
            share = (
                e.china_share if e.china_share is not None else float(self.china_share[REFINING])
            )
            jump = price_multiplier(e.stringency, share, self.p["price_elasticity"])
            self.shock *= jump
            self._log(
                "export_control",
                CHINA,
                f"China imposes export controls on {e.material} (withholding "
                f"{e.stringency:.0%} of a {share:.0%} share); input prices x{jump:.2f}",
            )

    def _reversal(self, what: str) -> None:
        self.credibility = max(0.0, self.credibility - self.p["reversal_credibility_hit"])
        for s in self.states:
            if s.status == MEMBER and s.role != "leader":
                s.reversal_shock += self.p["reversal_grievance"]
        self.eu_reversals += 1
        self._log("reversal", LEADER, f"{what}; credibility {self.credibility:.2f}")

    def _invite(self, s: StateAgent) -> None:
        if s.status == MEMBER:
            return
        s.invited = True
        self.last_invite = self.steps
        self._log("invitation", s.code, f"the US invites {s.name} to sign")

    # Phase 2 -------------------------------------------------------------------------
    def _coercion(self, t: int) -> None:
        p = self.p
        truce = self.truce_left > 0  # a truce covers whole quarters
        members = [s for s in self.states if s.status == MEMBER and s.role != "leader"]
        n = max(1, len(members))
        total = max(float(self.member_share.sum()), 1e-9)
        held = self.volume_share.sum(axis=1)  # each actor's shares summed over phases
        fro = self.frontier_share
        china_short = fro[self.china_row] < p["chokepoint_china_share"]
        choke = fro[:, china_short].sum(axis=1)
        coord = 1.0 + p["coordination_bonus"] if p["counter_alliance"] else 1.0
        seen = [
            (
                s.code,
                s.name,
                1.0 / n + float(held[s.row]) / total,
                s.resistance,
                s.actor.gdp_usd_bn,
                float(choke[s.row]),
            )
            for s in members
        ]
        targets_of = {
            pid: [
                Target(c, name, v, self.exposure[pid][c], r, g, ch) for c, name, v, r, g, ch in seen
            ]
            for pid, pr in self.pressurers.items()
            if pr.active
        }
        china = ChinaChoice(inducement_share=p["inducement_share"])
        china_rank = None
        if "CHN" in targets_of:
            view = self.china_view(targets_of["CHN"], truce)
            china = self._ask([Turn("CHN", "china", view)])["CHN"]
            china_rank = china.ranking or list(china.pressure) or None
        # The others follow China's ranking in a counter-alliance (the EU never does).
        follow = china_rank if p["counter_alliance"] else None
        follows = {pid: None if pid == "EUR" else follow for pid in PRESSURERS[1:]}
        asked = [
            Turn(pid, "pressurer", self.pressurer_view(pid, targets_of[pid], follows[pid]))
            for pid in PRESSURERS[1:]
            if pid in targets_of and pid in self.asked
        ]
        others = self._ask(asked) if asked else {}
        for pid in PRESSURERS[1:]:  # the rest follow their rule (RuleBasedPressurer's)
            if pid in targets_of and pid not in others:
                pr = self.pressurers[pid]
                others[pid] = PressurerChoice(
                    rule_allocation(
                        pr,
                        targets_of[pid],
                        pr.budget(p, self.escalation),
                        p["max_pressure_per_target"],
                        p["chokepoint_deterrence"],
                        follows[pid],
                    )
                )
        received: dict[str, dict[str, float]] = {}
        for pid in PRESSURERS:
            pr = self.pressurers[pid]
            self.pressure_by[pid] = 0.0
            if not pr.active:
                pr.spent.append(0.0)
                continue
            alloc = list((china if pid == "CHN" else others[pid]).pressure.items())
            spent = 0.0
            for code, units in alloc:
                if units > 0:
                    received.setdefault(code, {})[pid] = units
                spent += units
            pr.spent.append(spent)
            self.pressure_by[pid] = spent
        for code, by in received.items():
            s = self.by_id[code]
            s.pressure_received = by
            multi = coord if len(by) > 1 else 1.0
            shield = 1.0 + p["chokepoint_shield"] * float(choke[s.row])
            s.pain_by = {
                pid: pressure_pain(
                    u,
                    self.exposure[pid][code],
                    s.resistance,
                    p,
                    multi,
                    china.inducement_share if pid == "CHN" else None,
                )
                / shield
                for pid, u in by.items()
            }
            s.pressure_pain = sum(s.pain_by.values())
        for s in self.states:  # consecutive quarters under each pressurer (absent: none)
            if s.pressure_received or s.pressure_streak:
                s.pressure_streak = {
                    pid: s.pressure_streak.get(pid, 0) + 1 for pid in s.pressure_received
                }
        # Export controls and the price index.
        s_ctrl = china.controls
        self.control_level = price_multiplier(
            s_ctrl, float(self.china_share[REFINING]), p["price_elasticity"]
        )
        self.china_spent.append(self.pressure_by["CHN"] + p["control_cost"] * s_ctrl)
        self.price_index = self.control_level * self.shock
        self.price_history.append(self.price_index)
        self._volatility = M.price_volatility(self.price_history)
        if truce:
            self.truce_left -= 1
        elif china.truce:
            self._start_truce(
                p["truce_length"], "China seeks a truce after a year of costly pressure"
            )

    def china_view(self, targets: list[Target], truce: bool) -> ChinaView:
        """What Beijing sees at the start of the coercion phase (public data only)."""
        p, pr = self.p, self.pressurers["CHN"]
        return ChinaView(
            quarter=self.steps,
            when=self.when(),
            budget=0.0 if truce else pr.budget(p, self.escalation),
            max_per_target=p["max_pressure_per_target"],
            escalation=self.escalation,
            max_controls=max_controls(self.escalation, p, truce),
            inducement_share=p["inducement_share"],
            truce_active=truce,
            spent_last_three=sum(self.china_spent[-3:]),
            truce_cost=p["truce_cost"],
            control_cost=p["control_cost"],
            deterrence=p["chokepoint_deterrence"],
            targets=targets,
            alliance_refining_share=self.refining_share,
            credibility=self.credibility,
        )

    def pressurer_view(
        self, pid: str, targets: list[Target], follow: list[str] | None
    ) -> PressurerView:
        """What Russia, Brazil or the EU sees when choosing whom to pressure."""
        p = self.p
        return PressurerView(
            actor=pid,
            name=self.by_id[pid].name if pid in self.by_id else pid,
            quarter=self.steps,
            when=self.when(),
            budget=self.pressurers[pid].budget(p, self.escalation),
            max_per_target=p["max_pressure_per_target"],
            deterrence=p["chokepoint_deterrence"],
            targets=targets,
            china_ranking=follow,
            credibility=self.credibility,
        )

    def _start_truce(self, length: int, why: str) -> None:
        self.truce_left = length
        self.escalation = 1.0
        self.china_spent.clear()
        self._log("truce", CHINA, f"{why}: controls suspended for {quarters_in_words(length)}")

    # Phase 3 -------------------------------------------------------------------------
    def _coordination(self, t: int) -> None:
        p, w = self.p, self.world
        rows = np.array([s.row for s in self.states if s.status == MEMBER], dtype=int)
        weights = w.volume[rows] + 0.5  # where projects go: capacity plus a floor
        gone = np.ones(len(w.actors), dtype=bool)  # projects outside the members are
        gone[rows] = False  # abandoned (from today's status: a force-out may be this quarter's)
        view = MarketView(
            credibility=self.credibility,
            self_sufficiency=self.self_sufficiency,
            price_index=self.price_index,
            volatility=self.price_volatility,
            member_rows=rows,
            member_weights=weights,
            quarter=t,
        )
        flows = self.investors.step(view, p, self.rng, gone)
        by_row = {s.row: s for s in self.states}
        for row, amount in zip(flows["rows"], flows["amounts"], strict=True):
            by_row[row].inflow += float(amount)
        rows_m, phases_m, amounts_m = self.investors.mature(t)
        np.add.at(w.volume, (rows_m, phases_m), amounts_m / self.capex[phases_m])
        due = [x for x in self.public_pipeline if x[0] <= t]
        self.public_pipeline = [x for x in self.public_pipeline if x[0] > t]
        for _, row, phase, amount in due:
            w.volume[row, phase] += amount / self.capex[phase]
        w.volume[self.china_row] *= self.china_growth_q
        w.frontier[self.china_row, self.has_segment] *= self.china_growth_q[self.has_segment]
        w.frontier[:, ~self.has_segment] = w.volume[:, ~self.has_segment]

    # Phase 4 -------------------------------------------------------------------------
    def _commitment(self, t: int) -> None:
        p = self.p
        status = np.array([s.status for s in self.states])
        peer = (status == MEMBER) | (status == DEFECTED)
        defected = (status == DEFECTED).astype(float)
        wt = self.tie_matrix * peer[None, :]
        denom = wt.sum(axis=1)
        share = np.divide(wt @ defected, denom, out=np.zeros(len(self.states)), where=denom > 0)
        expected = (
            0.0
            if self.truce_left > 0
            else min(
                p["max_pressure_per_target"], self.pressurers["CHN"].budget(p, self.escalation)
            )
        )
        snap = Snapshot(
            credibility=self.credibility,
            secure_supply=self.controlled_phases / self.n_phases,
            price_index=self.price_index,
            defected_tie_share=dict(
                zip([s.unique_id for s in self.states], share.tolist(), strict=True)
            ),
            expected_pressure=expected,
        )
        shocks = (
            self.rng.normal(0.0, p["political_noise"], len(self.states)).tolist()
            if p["political_noise"] > 0
            else [0.0] * len(self.states)
        )
        for s, shock in zip(self.states, shocks, strict=True):
            if s.status == MEMBER:
                s.assess(snap, p, shock)
        decisions = [(s, s.decide(snap, p)) for s in self.states]
        turns = [
            Turn(s.code, "member", self.member_view(s, snap, d))
            for s, d in decisions
            if s.code in self.asked and self.may_decide(s)
        ]
        if turns:
            choices = self._ask(turns)
            decisions = [
                (s, self._decision(s, choices[s.code].action) if s.code in choices else d)
                for s, d in decisions
            ]
        for s, d in decisions:
            if d == "defect":
                self._defect(s, self._why(s))
            elif d in ("join", "return"):
                self._join(s, d)
            elif s.status == DEFECTED:
                s.cooldown -= 1
            if s.invited and d is None and s.status != MEMBER:
                s.invited = False
                self._log("refusal", s.code, f"{s.name} declines the US invitation")

    @staticmethod
    def may_decide(s: StateAgent) -> bool:
        """Whether a state has a choice this quarter: the leader never leaves, rivals
        never sign, a defector waits out its cool-down."""
        return s.role not in ("leader", "rival") and not (s.status == DEFECTED and s.cooldown > 0)

    def member_view(self, s: StateAgent, snap: Snapshot, rule: str | None) -> MemberView:
        """What a state's government sees when it decides (its own mood included)."""
        p = self.p
        member = s.status == MEMBER
        if member:
            options, advice = (STAY, LEAVE), LEAVE if rule == "defect" else STAY
        else:
            options, advice = (JOIN, STAY_OUT), JOIN if rule in ("join", "return") else STAY_OUT
        return MemberView(
            actor=s.code,
            name=s.name,
            quarter=self.steps,
            when=self.when(),
            status=s.status,
            invited=s.invited,
            grievance=s.grievance,
            threshold=s.threshold,
            benefit=s.benefit(snap, p),
            pains=s.pain(snap, p),
            pressure_received=dict(s.pressure_received),
            side_payment=s.side_payment,
            inflow=s.inflow,
            peers_left=snap.defected_tie_share.get(s.unique_id, 0.0),
            join_balance=0.0 if member else s.join_balance(snap, p),
            credibility=self.credibility,
            secure_supply=snap.secure_supply,
            price_index=self.price_index,
            members=self.members,
            options=options,
            advice=advice,
        )

    @staticmethod
    def _decision(s: StateAgent, action: str) -> str | None:
        if action == LEAVE:
            return "defect"
        if action == JOIN:
            return "return" if s.status == DEFECTED else "join"
        return None

    # ------------------------------------------------------------- who decides -----
    def seatable(self) -> list[str]:
        """Actors that can decide through a policy or a classroom seat: the US, the
        pressurers, and every state that can sign or leave."""
        states = [s.code for s in self.states if s.role not in ("leader", "rival")]
        return ["USA", *PRESSURERS, *[c for c in states if c not in PRESSURERS]]

    def decide_by_policies(self, turns: list[Turn]) -> dict[str, Any]:
        """The default ``decide_round``: each actor's policy, or its rules."""
        out = {}
        for tn in turns:
            policy = self.policies.get(tn.actor)
            out[tn.actor] = rule_choice(tn) if policy is None else policy.decide(tn.view)
        return out

    def _ask(self, turns: list[Turn]) -> dict[str, Any]:
        """One round of decisions. Every choice from a player, a script or a replaced
        ``decide_round`` (a classroom) is checked against the rules (``PolicyError``);
        the model's own rules are trusted here, as checking them every quarter would
        cost a sweep a few percent (tests/test_policy.py checks them over random
        parameters instead)."""
        choices = self.decide_round(turns)
        own = self.decide_round == self.decide_by_policies
        for tn in turns:
            if tn.actor not in choices:
                raise PolicyError(tn.kind, f"no decision for {tn.actor}")
            if not (own and type(self.policies.get(tn.actor)) in OWN_RULES):
                check(tn, choices[tn.actor])
        return choices

    def _why(self, s: StateAgent) -> str:
        """Why a member leaves: its largest driver of grievance and, if pressure played a
        part, the pressurer whose (decayed) pressure hurt it most."""
        pid = max(s.pain_memory, key=s.pain_memory.get, default=None)
        n = s.pressure_streak.get(pid, 0) if pid else 0
        reason = s.main_reason()
        if n > 0 and reason == "pressure":
            return f"leaves after {quarters_in_words(n)} of {ADJECTIVE[pid]} pressure"
        if n > 0:
            return (
                f"leaves, worn down by {reason} after {quarters_in_words(n)} of "
                f"{ADJECTIVE[pid]} pressure"
            )
        return f"leaves, worn down by {reason}"

    def _defect(self, s: StateAgent, why: str) -> None:
        s.status = DEFECTED
        s.cooldown = self.p["rejoin_cooldown"]
        s.grievance = 0.0
        self.credibility = max(0.0, self.credibility - self.p["defection_credibility_hit"])
        self._log("defection", s.code, f"{s.name} {why}; credibility {self.credibility:.2f}")

    def _join(self, s: StateAgent, how: str) -> None:
        was_invited = s.invited
        s.status = MEMBER
        s.invited = False
        s.grievance = 0.0
        for k in s.components:
            s.components[k] = 0.0
        self.joins_now += 1
        self.credibility = min(1.0, self.credibility + self.p["join_credibility_gain"])
        verb = (
            "returns to the alliance"
            if how == "return"
            else ("accepts the US invitation and signs" if was_invited else "signs the declaration")
        )
        self._log("accession", s.code, f"{s.name} {verb}; credibility {self.credibility:.2f}")

    # Phase 5 -------------------------------------------------------------------------
    def _update(self, t: int) -> None:
        p = self.p
        self._update_metrics()
        ratio, founding = self.commit_ratio, self.founding_members  # fixed from here on
        half = p["credibility_capital_half"]
        capital = ratio / (ratio + half) if half > 0 else 1.0
        fundamentals = (
            p["credibility_weight_capital"] * capital
            + p["credibility_weight_coverage"] * self.controlled_phases / self.n_phases
            + p["credibility_weight_members"] * founding / max(1, self.n_founding)
        )
        self.credibility = min(
            max(
                self.credibility + p["credibility_adjustment"] * (fundamentals - self.credibility),
                0.0,
            ),
            1.0,
        )
        gain = max(0.0, self.refining_share - self.initial_refining_share)
        before = self.escalation
        if self.truce_left == 0:
            self.escalation = float(
                min(
                    max(
                        1.0
                        + (self.escalation - 1.0) * (1.0 - p["deescalation"])
                        + p["escalation_rate"]
                        * (self.joins_now + 100.0 * max(0.0, gain - self.last_gain)),
                        1.0,
                    ),
                    p["max_escalation"],
                )
            )
        self.last_gain = gain
        if self.escalation >= p["control_escalation"] > before:
            self._log(
                "escalation",
                CHINA,
                f"China escalates to export controls on refined inputs "
                f"(escalation {self.escalation:.1f})",
            )
        eu = self.by_id.get("EUR")
        if (
            eu is not None
            and self.eu_stance == "partner"
            and eu.status != MEMBER
            and self.eu_reversals >= p["eu_exclusion_threshold"]
        ):
            self.eu_stance = "pressurer"
            self.pressurers["EUR"].active = True
            self._log(
                "eu_turns",
                "EUR",
                "The EU, left out and hit by US reversals, turns to pressuring members",
            )
        if not self.collapsed:
            below = self.credibility < p["credibility_floor"] and ratio < p["capital_floor"]
            self.floor_streak = self.floor_streak + 1 if below else 0
            reason = ""
            if founding < p["collapse_member_fraction"] * self.n_founding:
                reason = f"only {founding} of {self.n_founding} founding members remain"
            elif self.floor_streak >= p["floor_quarters"]:
                reason = (
                    f"credibility and capital have stayed below their floors for "
                    f"{quarters_in_words(self.floor_streak)}"
                )
            if reason:
                self.collapsed = True
                self.collapse_quarter = t
                self.collapse_reason = reason
                self._log("collapse", LEADER, f"The alliance collapses: {reason}")

    # ------------------------------------------------------------------ outputs -------
    def _log(self, kind: str, actor: str, text: str) -> None:
        q = self.steps
        self.events.append(LogEvent(q, self.when(q), kind, actor, f"{self.when(q)}: {text}"))

    def outcome(self) -> dict:
        """The run's result: survival with time to collapse (censored at the horizon)
        and final metrics."""
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
        }
