"""Rules that follow the data (issue 12, point 6): the control rule counts the rest of the
world, and frontier shares follow volume wherever the same capacity builds both."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from model import metrics
from model.model import PaxSilicaModel
from model.scenario import ScenarioError, load_scenario
from model.table import paper_table

LEADING_EDGE, REFINING = 7, 2


def scenario_with(*capacity: dict):
    base = load_scenario("baseline")
    return replace(base, capacity=[*base.capacity, *capacity])


def test_moving_taiwans_leading_edge_to_the_rest_of_the_world_gives_no_control():
    # Before issue 12, the rest-of-world row was ignored: cutting Taiwan to 5% of <10nm
    # logic made the signatories "control" phase 7 (and collapse fell from 0.65 to 0).
    cut = scenario_with({"phase": LEADING_EDGE, "actor": "TWN", "share": 0.05, "basis": "frontier"})
    m = PaxSilicaModel(cut, rng=0, n_investors=10)
    fro = metrics.shares(m.world.frontier)[:, LEADING_EDGE - 1]
    members = m.member_mask
    assert fro[members].sum() < fro[m.world.idx("ROW")]  # the residual out-supplies them
    assert not metrics.controlled(fro[:, None], members, 1.0)[0]
    row = paper_table(m.world, cut.members, cut.participants, m.p).rows[LEADING_EDGE - 1]
    assert not row.controlled


def test_editing_a_phases_volume_moves_its_frontier_where_it_has_no_segment_of_its_own():
    # Refining has no frontier segment: its frontier is its volume, edits included.
    aus = scenario_with(
        {"phase": REFINING, "actor": "CHN", "share": 0.27, "basis": "volume"},
        {"phase": REFINING, "actor": "AUS", "share": 0.60, "basis": "volume"},
    )
    w = aus.world()
    assert np.array_equal(w.frontier[:, REFINING - 1], w.volume[:, REFINING - 1])
    m = PaxSilicaModel(aus, rng=0, n_investors=10)
    assert not m.has_segment[REFINING - 1]
    lead = metrics.leader(metrics.shares(m.world.frontier), m.world.mask(m.world.state_ids))[
        REFINING - 1
    ]
    assert m.world.actor_ids[lead] == "AUS"  # not China, as before issue 12


def test_a_frontier_edit_of_a_phase_without_a_segment_is_refused(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        'extends = "baseline"\n[[capacity]]\nphase = 2\nactor = "AUS"\nshare = 0.05\n'
        'basis = "frontier"\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="no frontier segment of its own"):
        load_scenario(str(path))


def test_new_plants_add_the_same_units_to_volume_and_frontier():
    # Public money into <10nm logic in the US: the US frontier share of phase 7 grows.
    m = PaxSilicaModel("baseline", rng=0, n_investors=10, leader_investment=0.0)
    k = LEADING_EDGE - 1
    assert m.has_segment[k]
    before_v, before_f = m.world.volume.copy(), m.world.frontier.copy()
    us = m.world.idx("USA")
    m._public_project(us, k, 30.0)
    for _ in range(int(m.lags[k]) + 1):
        m.step()
    added_v = m.world.volume[us, k] - before_v[us, k]
    added_f = m.world.frontier[us, k] - before_f[us, k]
    assert added_v >= 30.0 / m.capex[k] - 1e-9
    assert added_f == pytest.approx(added_v)
