"""The calibrated world: actors, the 12 phases and who holds what capacity in each.

Capacity is stored in absolute units, global 2025 capacity of each phase = 100, in two
matrices of shape (actors, phases): ``volume`` (the phase's whole output) and ``frontier``
(the concentrated segment on which control rests: EUV lithography, <10nm logic, HBM,
photoresists; where a phase has no such segment the frontier equals the volume).
Shares are always derived from capacity, never stored.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from agents.records import Actor, InvestorType
from model.params import DATA_DIR

if TYPE_CHECKING:
    import networkx as nx

CHINA = "CHN"
LEADER = "USA"
REST = "ROW"


@dataclass(frozen=True)
class Phase:
    """One of the paper's 12 supply-chain phases, with the economics of adding capacity."""

    id: int
    name: str
    short: str
    stage: str  # "mining", "refining" (the paper's bottleneck) or "downstream"
    build_lag_quarters: int
    capex_usd_bn_per_unit: float
    china_growth_pa: float
    frontier_segment: str


@dataclass
class World:
    """Actors, phases and the two capacity matrices (rows follow ``actors``)."""

    actors: list[Actor]
    phases: list[Phase]
    volume: np.ndarray
    frontier: np.ndarray
    # Phases whose frontier is a segment of their own (rows of basis "frontier" in
    # capacity.csv); elsewhere the frontier is the volume, and stays so when edited.
    segmented: np.ndarray
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {a.id: i for i, a in enumerate(self.actors)}

    def copy(self) -> World:
        return replace(
            self,
            volume=self.volume.copy(),
            frontier=self.frontier.copy(),
            segmented=self.segmented.copy(),
        )

    def build(self, rows: np.ndarray, phases: np.ndarray, units: np.ndarray) -> None:
        """New plants: ``units`` of capacity in (row, phase) pairs, in place. A plant adds
        the same units to a segmented phase's frontier as to its volume (both count 2025's
        world as 100, so a new plant is as much frontier as the world's average one); the
        frontier of a phase without a segment is its volume (kept so by the caller)."""
        np.add.at(self.volume, (rows, phases), units)
        seg = self.segmented[phases]
        np.add.at(self.frontier, (rows[seg], phases[seg]), units[seg])

    def idx(self, actor_id: str) -> int:
        return self.index[actor_id]

    def mask(self, actor_ids) -> np.ndarray:
        """Boolean row mask for a collection of actor ids."""
        m = np.zeros(len(self.actors), dtype=bool)
        for a in actor_ids:
            m[self.index[a]] = True
        return m

    @property
    def n_phases(self) -> int:
        """How many supply-chain phases there are (the rows of ``phases.csv``)."""
        return len(self.phases)

    @property
    def refining(self) -> int:
        """0-based index of the refining phase, the paper's bottleneck."""
        return next(k for k, ph in enumerate(self.phases) if ph.stage == "refining")

    @property
    def upstream(self) -> slice:
        """The phases whose output is a raw-material input (mining, refining): the first
        ones, up to and including refining (``phases.csv`` runs upstream to downstream)."""
        return slice(0, self.refining + 1)

    @property
    def downstream(self) -> slice:
        """The phases of the industry that consumes refined inputs: all after refining."""
        return slice(self.refining + 1, self.n_phases)

    @property
    def actor_ids(self) -> list[str]:
        return [a.id for a in self.actors]

    @property
    def state_ids(self) -> list[str]:
        return [a.id for a in self.actors if a.kind == "state"]

    def name_of(self, actor_id: str) -> str:
        return self.actors[self.index[actor_id]].name

    def resolve(self, token: str) -> str | None:
        """Actor id for an id or a name, case-insensitively; None if unknown."""
        t = token.strip().lower()
        for a in self.actors:
            if t in (a.id.lower(), a.name.lower()):
                return a.id
        return None


def _read_csv(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def _load_default() -> World:
    actors = [
        Actor(
            id=r["actor_id"],
            name=r["name"],
            short_name=r["short_name"],
            adjective=r["adjective"],
            kind=r["kind"],
            region=r["region"],
            gdp_usd_bn=float(r["gdp_usd_bn"]),
            exports_to_china_pct_gdp=float(r["exports_to_china_pct_gdp"]),
            exports_to_eu_pct_gdp=float(r["exports_to_eu_pct_gdp"]),
            exports_to_russia_pct_gdp=float(r["exports_to_russia_pct_gdp"]),
            exports_to_brazil_pct_gdp=float(r["exports_to_brazil_pct_gdp"]),
            energy_from_russia_pct_gdp=float(r["energy_from_russia_pct_gdp"]),
            minerals_from_brazil_pct_gdp=float(r["minerals_from_brazil_pct_gdp"]),
            us_security_tie=float(r["us_security_tie"]),
            sovereign_fund_usd_bn=float(r["sovereign_fund_usd_bn"]),
        )
        for r in _read_csv("actors.csv")
    ]
    phases = [
        Phase(
            id=int(r["phase_id"]),
            name=r["name"],
            short=r["short"],
            stage=r["stage"],
            build_lag_quarters=int(r["build_lag_quarters"]),
            capex_usd_bn_per_unit=float(r["capex_usd_bn_per_unit"]),
            china_growth_pa=float(r["china_growth_pa"]),
            frontier_segment=r["frontier_segment"],
        )
        for r in _read_csv("phases.csv")
    ]
    n_phases = len(phases)
    if [p.id for p in phases] != list(range(1, n_phases + 1)):
        raise RuntimeError(f"phases.csv must list phases 1..{n_phases} in order")
    stages = [p.stage for p in phases]
    order = {"mining": 0, "refining": 1, "downstream": 2}
    if (
        stages.count("refining") != 1
        or any(st not in order for st in stages)
        or stages != sorted(stages, key=order.get)
    ):
        raise RuntimeError(
            "phases.csv: stage must be mining, refining or downstream, in that order (the "
            "chain runs upstream to downstream), with exactly one refining phase"
        )
    index = {a.id: i for i, a in enumerate(actors)}
    volume = np.zeros((len(actors), n_phases))
    frontier = np.full((len(actors), n_phases), np.nan)
    for r in _read_csv("capacity.csv"):
        target = volume if r["basis"] == "volume" else frontier
        p = int(r["phase_id"]) - 1
        if np.isnan(target[index[r["actor"]], p]):
            target[:, p] = 0.0
        target[index[r["actor"]], p] += float(r["share_pct"])
    # Phases without a separate frontier segment: the frontier is the volume.
    no_segment = np.isnan(frontier).all(axis=0)
    frontier[:, no_segment] = volume[:, no_segment]
    frontier = np.nan_to_num(frontier)
    for name, m in (("volume", volume), ("frontier", frontier)):
        totals = m.sum(axis=0)
        if not np.allclose(totals, 100.0, atol=0.05):
            raise RuntimeError(f"capacity.csv: {name} shares must sum to 100 per phase: {totals}")
    return World(
        actors=actors, phases=phases, volume=volume, frontier=frontier, segmented=~no_segment
    )


@cache
def investor_types() -> tuple[InvestorType, ...]:
    """The investor types of ``data/investor_types.csv`` (read once per process)."""
    return tuple(
        InvestorType(
            r["type"],
            float(r["count_share"]),
            r["capital_pool"],
            float(r["hurdle_rate"]),
            float(r["risk_aversion"]),
            float(r["signal_noise"]),
            float(r["herding"]),
            float(r["patience"]),
        )
        for r in _read_csv("investor_types.csv")
    )


def load_world() -> World:
    """A fresh copy of the default calibrated world (callers may change it freely)."""
    return _load_default().copy()


@cache
def member_sets() -> dict[str, dict]:
    """Named member sets from ``data/member_sets.toml``."""
    return tomllib.loads((DATA_DIR / "member_sets.toml").read_text(encoding="utf-8"))


@cache
def tie_matrix(states: tuple[tuple[str, str, str], ...]) -> np.ndarray:
    """The ties among states (code, name, region) as weights, in the order given: 1 within
    a region, 0.5 across (peers watch their neighbours most), 0 on the diagonal. Built once
    per process and shared by every model: read-only (it raises if changed in place). The
    same matrix as ``tie_graph``'s adjacency, without importing networkx (which costs a
    command that builds no graph a tenth of a second or more)."""
    regions = np.array([region for _, _, region in states])
    matrix = np.where(regions[:, None] == regions[None, :], 1.0, 0.5)
    np.fill_diagonal(matrix, 0.0)
    matrix.flags.writeable = False
    return matrix


@cache
def tie_graph(states: tuple[tuple[str, str, str], ...]) -> nx.Graph:
    """The same ties as a graph (nodes with their names and regions, edges weighted as in
    ``tie_matrix``, the rule's one home), for the app's network chart: built the first
    time it is asked for, once per process, frozen (it raises if changed)."""
    import networkx as nx

    weights = tie_matrix(states)
    g = nx.Graph()
    for code, name, region in states:
        g.add_node(code, name=name, region=region)
    for i, (a, _, _) in enumerate(states):
        for j in range(i + 1, len(states)):
            g.add_edge(a, states[j][0], weight=float(weights[i, j]))
    return nx.freeze(g)
