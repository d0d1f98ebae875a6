"""Investors: the coordination game.

Investors commit capital to (member, phase) projects only if they believe the alliance
will last and others will commit too -- a global game with noisy private signals of
credibility (Morris and Shin 1998). Each quarter an investor

1. updates its belief about credibility from a noisy private signal,
2. mixes in market sentiment (herding): credibility times the share of invested peers
   who did not withdraw last quarter,
3. values each phase: a base return plus a premium where the alliance is short
   (scarce phases such as refining pay more) and, for mining and refining, when input
   prices are high; its own view of each phase adds idiosyncratic spread,
4. invests a tranche in its best phase if the risk-adjusted expected return clears its
   hurdle, and withdraws a project in the pipeline when its return falls well below the
   hurdle, when the host state defects, or -- if it is below its hurdle at all -- when
   peers are running and it follows the herd.

Pipeline capital becomes capacity after the phase's build lag; withdrawal strands part of
it. Capital is conserved: idle + pipeline + built + stranded = initial capital.

The rules are applied to the whole population at once (numpy arrays): every investor
decides on the same start-of-quarter state, so the order of agents cannot matter, and
the cost is linear in their number. ``InvestorAgent`` objects are Mesa agents that read
their own row of these arrays, for agent reporters and inspection, made only when first
asked for (:attr:`InvestorPopulation.agents`).
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from agents.parameters import Parameters
from agents.records import InvestorType

IDLE, PIPELINE, BUILT = 0, 1, 2


@dataclass(frozen=True, slots=True)
class InvestorParams(Parameters):
    """What investors weigh each quarter (names as in parameters.toml)."""

    base_return: float
    scarcity_premium: float
    price_premium: float
    collapse_loss: float
    belief_update: float
    run_threshold: float
    withdraw_margin: float
    strand_fraction: float
    commit_fraction: float


def project_weights(member_capacity: np.ndarray, floor: float) -> np.ndarray:
    """Where new projects go: in proportion to each member's capacity in the phase, plus
    a ``floor`` so that an empty phase can still be started somewhere (members x
    phases)."""
    return member_capacity + floor


@dataclass
class MarketView:
    """What investors observe at the start of the quarter."""

    credibility: float
    self_sufficiency: np.ndarray  # per phase, of the current members
    price_index: float
    volatility: float
    refining_gap: float  # share of the members' refined-input demand they cannot refine
    member_rows: np.ndarray  # actor row indices of current members
    member_weights: np.ndarray  # (members x phases) where new projects can go
    quarter: int


class InvestorPopulation:
    """All investors' state as arrays, and the rules that move it."""

    def __init__(
        self,
        model,
        n: int,
        p: dict,
        n_phases: int,
        rng: np.random.Generator,
        types: tuple[InvestorType, ...],
        upstream: slice,
    ):
        self.model = model
        self.params = InvestorParams.of(p)
        self.upstream = upstream  # phases whose return rises with input prices
        counts = [int(round(t.count_share * n)) for t in types]
        counts[1] += n - sum(counts)  # rounding remainder to institutional investors
        if min(counts) < 0:
            raise ValueError("n_investors too small for the type shares")
        self.types = types
        self.type_idx = np.repeat(np.arange(len(types)), counts)
        self.n = n
        t = self.type_idx
        attr = lambda name: np.array([getattr(x, name) for x in types])[t]  # noqa: E731
        self.hurdle = attr("hurdle_rate")
        self.risk_aversion = attr("risk_aversion") * p["risk_aversion_scale"]
        self.noise = attr("signal_noise") * p["signal_noise_scale"]
        self.herding = np.clip(attr("herding") * p["herding_scale"], 0.0, 1.0)
        self.patience = attr("patience")
        # Per-run constants of the rules (the same values the rules would compute each
        # quarter): the weight of the new signal in a belief and of the old belief, the
        # weight of an investor's own belief against the market's, half its risk
        # aversion, the expected return below which it leaves a project, its tranche.
        self._update_weight = self.params.belief_update * (1.0 - 0.5 * self.patience)
        self._keep_weight = 1.0 - self._update_weight
        self._own_weight = 1.0 - self.herding
        self._half_risk_aversion = 0.5 * self.risk_aversion
        self._exit_floor = self.hurdle - self.params.withdraw_margin
        gulf = np.array([x.capital_pool == "gulf" for x in types])[t]
        # Each investor's share of its pool: lognormal, so a few hold much of it.
        weights = rng.lognormal(0.0, p["capital_concentration"], n)
        capital = np.zeros(n)
        for mask, pool in ((gulf, p["gulf_capital"]), (~gulf, p["private_capital"])):
            if mask.any():
                capital[mask] = pool * weights[mask] / weights[mask].sum()
        self.capital = capital  # fixed over a run: what moves is where it sits
        self._tranche = self.params.commit_fraction * capital
        self._total = float(capital.sum())
        self._dust = 1e-6 * np.maximum(capital, 1e-12)  # idle capital below this is spent
        self.idle = capital.copy()
        self.pipeline = np.zeros(n)
        self.built = np.zeros(n)
        self.stranded = np.zeros(n)
        self.belief = np.clip(
            p["initial_credibility"] + self.noise * rng.standard_normal(n), 0.0, 1.0
        )
        self.preference = np.exp(p["preference_noise"] * rng.standard_normal((n, n_phases)))
        self._own = np.empty_like(self.preference)  # each quarter's returns as each sees them
        self._row_start = np.arange(n) * n_phases  # where each investor's row starts, flat
        self.proj_phase = np.full(n, -1)
        self.proj_row = np.full(n, -1)
        self.proj_due = np.zeros(n, dtype=int)
        self.withdrawn_share = 0.0  # share of pipeline investors who withdrew last quarter
        self.invested_now = np.zeros(n, dtype=bool)
        self.withdrew_now = np.zeros(n, dtype=bool)
        self._agents: list[InvestorAgent] | None = None

    @property
    def agents(self) -> list[InvestorAgent]:
        """One Mesa agent per investor, reading its row of the arrays: made the first time
        someone looks (agent reporters, inspection), since a run that only steps the
        arrays has no use for a thousand façades (a tenth of a lean run's time)."""
        if self._agents is None:
            self._agents = [InvestorAgent(self.model, self, i) for i in range(self.n)]
        return self._agents

    # --- aggregates -------------------------------------------------------------------
    @property
    def total_capital(self) -> float:
        return self._total

    def committed(self) -> float:
        """Capital in projects (pipeline and built)."""
        return float(self.pipeline.sum() + self.built.sum())

    # --- the rules --------------------------------------------------------------------
    def phase_returns(self, view: MarketView) -> np.ndarray:
        """Annual return of a project in each phase if the alliance lasts: a base return,
        a premium where the alliance is short, and, when input prices are high, a premium
        for mining and refining that is a cost to the phases downstream of them on the
        refined inputs the alliance cannot refine itself (``refining_gap``): a fab that
        buys its gallium from China pays China's controls, one supplied from an allied
        refinery does not. The refining bottleneck binds investors' returns."""
        ip = self.params
        r = ip.base_return * (1.0 + ip.scarcity_premium * (1.0 - view.self_sufficiency))
        dear = ip.base_return * ip.price_premium * max(0.0, view.price_index - 1.0)
        if dear:  # prices at or below normal: no premium (adding 0 would change nothing)
            r[self.upstream] += dear
            r[self.upstream.stop :] -= dear * view.refining_gap
        return r

    def expected_return(
        self, belief: np.ndarray, returns: np.ndarray, vol: float, who: np.ndarray | None = None
    ) -> np.ndarray:
        """Belief-weighted return minus the loss if the alliance fails, minus a
        mean-variance risk charge on price volatility (``vol`` is quarterly, so the
        annual variance is ``(2 vol)^2``). ``who``: the investors (indices) that
        ``belief`` and ``returns`` are of, if not all."""
        half_ra = self._half_risk_aversion if who is None else self._half_risk_aversion[who]
        return (
            belief * returns
            - (1.0 - belief) * self.params.collapse_loss
            - half_ra * (2.0 * vol) ** 2
        )

    def step(self, view: MarketView, rng: np.random.Generator, gone: np.ndarray) -> dict:
        """One quarter: beliefs, withdrawals, new commitments. ``gone`` marks the actor
        rows that are no longer members (a project there is abandoned). Returns the
        flows: ``new`` (investor, row, phase, amount) arrays and ``stranded`` US$bn.

        Every investor decides on the start-of-quarter state, so each one's expected
        return is worked out once, for the whole population: for an investor with a
        project in the pipeline, of that project (whether to withdraw); for one without,
        of the phase it likes best (whether to invest)."""
        n, ip = self.n, self.params
        signal = view.credibility + self.noise * rng.standard_normal(n)
        a, keep = self._update_weight, self._keep_weight  # belief_update (1 - patience/2), 1 - a
        self.belief = np.minimum(np.maximum(keep * self.belief + a * signal, 0.0), 1.0)
        sentiment = view.credibility * (1.0 - self.withdrawn_share)
        belief = self._own_weight * self.belief + self.herding * sentiment  # own: 1 - herding
        returns = self.phase_returns(view)  # each investor's own: times its preference
        # Whether to follow the herd in a run (below): every investor draws, in a run or
        # not, so the stream of draws does not depend on who is in.
        follow_draw = rng.random(n)

        # Each investor's return in each phase, as it sees it; the phase it likes best; and
        # the one return it weighs: its project's if it has one in the pipeline (``pipe``;
        # a project's phase and row are set iff it is), else its best phase's. (``own`` goes
        # into an array kept for it: a thousand investors' need not be made each quarter.)
        own = np.multiply(self.preference, returns, out=self._own)
        best = own.argmax(axis=1)
        pipe = self.pipeline > 0
        n_pipe = int(np.count_nonzero(pipe))
        weighed = np.where(pipe, self.proj_phase, best) if n_pipe else best
        weighed_return = own.ravel()[self._row_start + weighed]  # own[i, weighed[i]]
        er = self.expected_return(belief, weighed_return, view.volatility)

        # Withdrawals from the pipeline (decided on the start-of-quarter state; for those
        # without a project, ``gone`` is read at row -1 and left out by ``& pipe``).
        if n_pipe:
            leaving = (er < self._exit_floor) | gone[self.proj_row]
            if self.withdrawn_share > ip.run_threshold:
                # In a run, the doubtful (below their hurdle, not yet at the exit floor)
                # follow the herd out with probability equal to their herding weight.
                leaving |= (er < self.hurdle) & (follow_draw < self.herding)
            withdraw = leaving & pipe
            n_out = int(np.count_nonzero(withdraw))
        else:  # nobody has a project: nobody can withdraw one
            withdraw = np.zeros(n, dtype=bool)
            n_out = 0
        stranded = 0.0
        if n_out:  # most quarters nobody withdraws: nothing to move
            out = withdraw.nonzero()[0]
            lost = ip.strand_fraction * self.pipeline[out]
            self.stranded[out] += lost
            self.idle[out] += self.pipeline[out] - lost
            self.pipeline[out] = 0.0
            self.proj_phase[out] = -1
            self.proj_row[out] = -1
            stranded = float(lost.sum())
        self.withdrew_now = withdraw
        self.withdrawn_share = n_out / max(1, n_pipe)

        # New commitments: one project at a time per investor (so not those with one in
        # the pipeline at the start of the quarter, nor those who just withdrew theirs),
        # each weighing only the phase it likes best; and only where there are members.
        if view.member_rows.size:
            chosen = (er >= self.hurdle) & (self.idle > self._dust) & ~pipe
        else:
            chosen = np.zeros(n, dtype=bool)
        self.invested_now = chosen
        idx = chosen.nonzero()[0]
        if idx.size == 0:
            return {
                "inv": idx,
                "rows": idx,
                "phases": idx,
                "amounts": np.zeros(0),
                "stranded": stranded,
            }
        idle = self.idle[idx]
        amount = np.minimum(idle, self._tranche[idx])  # the tranche, or what is left
        phases = best[idx]
        # Host member: drawn by the view's project weights (``project_weights``).
        # (np.add.accumulate is np.cumsum: a running sum down each phase's column.)
        cum = np.add.accumulate(view.member_weights, axis=0)[:, phases]  # members x chosen
        u = rng.random(idx.size) * cum[-1]
        host = np.add.reduce(cum < u, axis=0)  # how many members' running sums are below
        rows = view.member_rows[np.minimum(host, view.member_rows.size - 1)]
        self.idle[idx] = idle - amount
        self.pipeline[idx] = amount  # it had none (0 + amount is amount, to the bit)
        self.proj_phase[idx] = phases
        self.proj_row[idx] = rows
        self.proj_due[idx] = view.quarter + self._lags[phases]
        return {
            "inv": idx,
            "rows": rows,
            "phases": phases,
            "amounts": amount,
            "stranded": stranded,
        }

    def mature(self, quarter: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Projects due this quarter become built capital: returns (rows, phases, US$bn)."""
        done = ((self.pipeline > 0) & (self.proj_due <= quarter)).nonzero()[0]
        if done.size == 0:  # most quarters nothing is due: nothing to move
            return done, done, self.pipeline[done]
        rows, phases, amounts = self.proj_row[done], self.proj_phase[done], self.pipeline[done]
        self.built[done] += amounts
        self.pipeline[done] = 0.0
        self.proj_phase[done] = -1
        self.proj_row[done] = -1
        return rows, phases, amounts

    def set_lags(self, lags: np.ndarray) -> None:
        self._lags = lags.astype(int)


def _column(name: str, doc: str) -> property:
    """A read-only attribute that is this investor's entry of a population array."""
    return property(lambda self: float(getattr(self._pop, name)[self.index]), doc=doc)


class InvestorAgent(mesa.Agent):
    """One investor: a Mesa agent whose state is its row of the population's arrays."""

    def __init__(self, model, population: InvestorPopulation, index: int):
        super().__init__(model)
        self._pop = population
        self.index = index

    @property
    def kind(self) -> str:
        return self._pop.types[self._pop.type_idx[self.index]].name

    belief = _column("belief", "Its current belief about US credibility (0-1).")
    capital = _column("capital", "Its capital, US$bn.")
    idle = _column("idle", "Capital not committed, US$bn.")
    pipeline = _column("pipeline", "Capital in a project not yet built, US$bn.")
    built = _column("built", "Capital in built capacity, US$bn.")
    stranded = _column("stranded", "Capital lost by withdrawing early, US$bn.")

    @property
    def project_phase(self) -> int | None:
        k = int(self._pop.proj_phase[self.index])
        return k + 1 if k >= 0 else None
