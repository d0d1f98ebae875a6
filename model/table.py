"""The paper's phase table, computed from the capacity data through the rules of
``model.metrics`` (never written by hand)."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from functools import cache

import numpy as np

from model.metrics import (
    bottleneck,
    china_advantage,
    contributors,
    controlled,
    covered,
    leader,
    self_sufficiency,
    shares,
    supply_security,
)
from model.params import DATA_DIR
from model.world import CHINA, World

PAPER_TABLE = DATA_DIR / "paper_table.toml"


@dataclass(frozen=True)
class PhaseRow:
    """One row of the paper's table, plus the figures behind each verdict."""

    phase: int
    name: str
    advantage: str  # "China" or "Pax Silica"
    top_contributors: list[str]  # contributing signatories, largest first (all, or top_n)
    signatory_share: float
    aligned_share: float
    china_share: float
    covered: bool
    controlled: bool
    leader: str  # by frontier
    volume_leader: str
    frontier_segment: str
    led_by_non_signatory_participant: bool
    self_sufficiency: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Table:
    rows: list[PhaseRow]
    bottleneck: int  # phase id
    supply_security: float
    members: list[str]
    participants: list[str]


def paper_table(
    world: World,
    members: list[str],
    participants: list[str],
    params: dict,
    top_n: int | None = None,
) -> Table:
    """For each phase: who has the advantage, which signatories contribute (every one at or
    above ``contribution_threshold``, largest first; only the first ``top_n`` if given),
    the alliance's and China's shares, coverage, control and whether a participant leads."""
    vol = shares(world.volume)
    fro = shares(world.frontier)
    mem = world.mask(members)
    part = world.mask(participants)
    aligned = mem | part
    china = world.idx(CHINA)
    real = world.mask(world.state_ids)  # every actor but the rest-of-world residual
    adv = china_advantage(vol, china, aligned, params["advantage_ratio"])
    cov = covered(vol, mem, params["coverage_threshold"])
    ctl = controlled(fro, mem, params["control_margin"])
    contrib = contributors(vol, mem, params["contribution_threshold"])
    lead_f = leader(fro, real)
    lead_v = leader(vol, real)
    suff = self_sufficiency(vol, mem, params["alliance_demand_share"])
    rows = []
    for p, ph in enumerate(world.phases):
        idx = np.flatnonzero(contrib[:, p])
        idx = idx[np.argsort(-vol[idx, p], kind="stable")][:top_n]
        lf = world.actor_ids[lead_f[p]]
        rows.append(
            PhaseRow(
                phase=ph.id,
                name=ph.name,
                advantage="China" if adv[p] else "Pax Silica",
                top_contributors=[world.actor_ids[i] for i in idx],
                signatory_share=float(vol[mem, p].sum()),
                aligned_share=float(vol[aligned, p].sum()),
                china_share=float(vol[china, p]),
                covered=bool(cov[p]),
                controlled=bool(ctl[p]),
                leader=lf,
                volume_leader=world.actor_ids[lead_v[p]],
                frontier_segment=ph.frontier_segment,
                led_by_non_signatory_participant=lf in participants,
                self_sufficiency=float(suff[p]),
            )
        )
    b = bottleneck(vol, mem, params["alliance_demand_share"])
    return Table(
        rows=rows,
        bottleneck=world.phases[b].id,
        supply_security=supply_security(vol, mem, params["alliance_demand_share"]),
        members=list(members),
        participants=list(participants),
    )


@cache
def paper_contributors() -> dict[int, list[str]]:
    """The paper's own contributors column (``data/paper_table.toml``): phase id -> actor
    ids, in the paper's order."""
    data = tomllib.loads(PAPER_TABLE.read_text(encoding="utf-8"))
    return {int(p["id"]): list(p["contributors"]) for p in data["phase"]}


@dataclass(frozen=True)
class PaperMatch:
    """How many of the paper's contributor entries (phase, actor) the table names."""

    named: list[tuple[int, str]]
    missing: list[tuple[int, str]]

    @property
    def entries(self) -> int:
        return len(self.named) + len(self.missing)


def match_paper(table: Table) -> PaperMatch:
    """The paper's contributor entries that the table's contributors column names, and
    those it does not."""
    listed = {r.phase: set(r.top_contributors) for r in table.rows}
    named, missing = [], []
    for phase, actors in sorted(paper_contributors().items()):
        for a in actors:
            (named if a in listed.get(phase, set()) else missing).append((phase, a))
    return PaperMatch(named=named, missing=missing)
