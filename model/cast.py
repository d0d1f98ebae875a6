"""The cast of a scenario: what it fixes about its states before any draw.

Which states sign, take part or stay out, their roles, their resistance to pressure,
their rows in the world's matrices, their dependence on refined inputs and their
weights in the alliance follow from the scenario (its members, participants and
capacity) and a few parameters alone, not from the seed. They are worked out once per
process for each such combination (:func:`cast_of`) and shared, read-only, by every
model built from it; what the seed draws (thresholds, valuations) is drawn by each
model (``PaxSilicaModel._make_states``).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from agents.pressurer import EU, PRESSURERS, RIVALS, resistance_to
from agents.records import Actor
from agents.state import Role, Status, member_weights, resistance
from model import metrics
from model.scenario import Scenario
from model.world import LEADER, World

MEMBER, PARTICIPANT, DEFECTED, OUTSIDE = Status

# The parameters the cast depends on (beyond the scenario's states and capacity).
CAST_PARAMS = (
    "resistance_base",
    "resistance_security",
    "resistance_cap",
    "weight_of_capacity",
    "member_weighting",
)


class CastState(NamedTuple):
    """One state as the scenario sets it up (in the world's actor order)."""

    actor: Actor
    status: Status
    role: Role
    resistance: float  # ``agents.state.resistance``
    row: int  # its row in the world's capacity matrices
    dependence: float  # downstream industry relative to the average member
    weight: float  # its weight in the alliance (``agents.state.member_weights``)
    draw: int  # its place in actor-id order, in which thresholds and valuations are drawn


@dataclass(frozen=True)
class Cast:
    """A scenario's states before any draw (:func:`cast_of`): read-only, shared."""

    states: tuple[CastState, ...]
    state_weights: np.ndarray  # the weights in state order (read-only)
    founder_weight: float  # the founders' but the leader's weight (1 up to rounding)
    n_founders: int  # founders but the leader
    n_founding: int  # founders, the leader included
    # Each state's resistance to each pressurer (``agents.pressurer.resistance_to``):
    # code -> pressurer -> resistance, read-only.
    resistance_by: MappingProxyType
    tie_key: tuple[tuple[str, str, str], ...]  # (code, name, region) of each state
    eu_outside: bool  # the EU is a state of the scenario, wholly outside the alliance


def _build(setup: Scenario, p: dict[str, Any], w: World) -> Cast:
    """The cast of ``setup`` with parameters ``p`` on its world ``w`` as loaded (before
    any quarter has changed it)."""
    members, participants = set(setup.members), set(setup.participants)
    rank = {code: k for k, code in enumerate(sorted(w.state_ids))}
    downstream = metrics.shares(w.volume)[:, w.downstream].sum(axis=1)
    base = downstream[w.mask(members)].mean()
    rows, founders, gdp, people = [], [], [], []
    for a in w.actors:
        if a.kind != "state":
            continue
        status = MEMBER if a.id in members else PARTICIPANT if a.id in participants else OUTSIDE
        role = (
            Role.LEADER
            if a.id == LEADER
            else Role.SIGNATORY
            if status == MEMBER
            else Role.PARTICIPANT
            if status == PARTICIPANT
            else Role.RIVAL
            if a.id in RIVALS
            else Role.OUTSIDER
        )
        r = resistance(
            a.us_security_tie,
            p["resistance_base"],
            p["resistance_security"],
            p["resistance_cap"],
        )
        row = w.idx(a.id)
        dependence = float(downstream[row] / base) if base > 0 else 1.0
        people.append((a, status, role, r, row, dependence, rank[a.id]))
        rows.append(row)
        founders.append(status == MEMBER and role != Role.LEADER)
        gdp.append(a.gdp_usd_bn)
    # Each state's weight: the phases it carries at the start and its economy, on the
    # founders' scale (the founders but the leader weigh 1 together).
    carried = metrics.shares(w.volume).sum(axis=1)
    founder_mask = np.array(founders)
    weights = member_weights(
        carried[rows],
        np.array(gdp),
        founder_mask,
        p["weight_of_capacity"],
        p["member_weighting"],
    )
    weights.flags.writeable = False
    states = tuple(
        CastState(a, status, role, r, row, dep, weight, draw)
        for (a, status, role, r, row, dep, draw), weight in zip(
            people, weights.tolist(), strict=True
        )
    )
    return Cast(
        states=states,
        state_weights=weights,
        founder_weight=float(weights[founder_mask].sum()),
        n_founders=int(founder_mask.sum()),
        n_founding=sum(c.status == MEMBER for c in states),
        resistance_by=MappingProxyType(
            {
                c.actor.id: MappingProxyType(
                    {a: resistance_to(a, c.resistance, p["resistance_base"]) for a in PRESSURERS}
                )
                for c in states
            }
        ),
        tie_key=tuple((c.actor.id, c.actor.name, c.actor.region) for c in states),
        eu_outside=any(c.actor.id == EU and c.status == OUTSIDE for c in states),
    )


# Casts made so far (``cast_of``): key -> (the world's actors, phases and capacity at the
# start, the cast); scenarios x parameter values kept per process (a sweep's few).
_CASTS: dict[tuple, tuple[list, list, bytes, Cast]] = {}
_MAX_CASTS = 64


def cast_of(setup: Scenario, p: dict[str, Any], w: World) -> Cast:
    """The cast of ``setup`` with parameters ``p`` on its world ``w`` as loaded, made the
    first time it is asked for and shared after that. Found by the values it is made
    from, not by the scenario object, which may change: the members and participants,
    ``CAST_PARAMS`` (by ``repr``, which tells apart what ``==`` does not: ``1``, ``1.0``
    and ``True``, ``0.0`` and ``-0.0``), the world's actors and phases
    (the same objects) and its capacity at the start (the same bytes)."""
    key = (
        id(w.actors),
        id(w.phases),
        tuple(setup.members),
        tuple(setup.participants),
        tuple([repr(p[name]) for name in CAST_PARAMS]),
    )
    volume = w.volume.tobytes()
    hit = _CASTS.get(key)
    if hit is not None and hit[0] is w.actors and hit[1] is w.phases and hit[2] == volume:
        return hit[3]
    cast = _build(setup, p, w)
    if len(_CASTS) >= _MAX_CASTS:
        _CASTS.clear()
    _CASTS[key] = (w.actors, w.phases, volume, cast)
    return cast
