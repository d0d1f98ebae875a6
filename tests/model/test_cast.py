"""What is made once per scenario and parameters and shared (``model.cast``) is found by
the values it is made from, and no model can change it for the next."""

import dataclasses

import pytest

from model.cast import cast_of
from model.model import PaxSilicaModel
from model.scenario import load_scenario


def test_a_cast_is_shared_by_equal_scenarios_and_parameters_only():
    sc = load_scenario("baseline")
    a = PaxSilicaModel(sc, rng=1)
    b = PaxSilicaModel(load_scenario("baseline"), rng=2)
    assert a._cast is b._cast
    assert PaxSilicaModel(sc, rng=1, resistance_base=0.25)._cast is not a._cast
    changed = dataclasses.replace(sc, members=[m for m in sc.members if m != "JPN"])
    c = PaxSilicaModel(changed, rng=1)
    assert c._cast is not a._cast and c.by_id["JPN"].status != a.by_id["JPN"].status


def test_a_scenario_changed_in_place_gets_its_own_cast():
    sc = load_scenario("baseline")
    before = PaxSilicaModel(sc, rng=1)
    sc.members.remove("JPN")
    after = PaxSilicaModel(sc, rng=1)
    assert after._cast is not before._cast
    assert after.by_id["JPN"].status != before.by_id["JPN"].status
    w = sc.world()
    w.volume[0, 0] += 1.0  # another starting capacity: another cast
    assert cast_of(sc, after.p, w) is not after._cast


def test_what_is_shared_cannot_be_changed_by_a_run():
    m = PaxSilicaModel("baseline", rng=1, n_investors=30)
    with pytest.raises(TypeError):
        m.resistance_by["JPN"]["CHN"] = 0.0
    m.state_weights[0] = 123.0  # the model's own copy
    assert PaxSilicaModel("baseline", rng=1).state_weights[0] != 123.0


def test_a_cast_tells_apart_values_that_compare_equal():
    sc = load_scenario("baseline")
    w, p = sc.world(), PaxSilicaModel(sc, rng=1).p
    plus = cast_of(sc, dict(p, resistance_base=0.0), w)
    minus = cast_of(sc, dict(p, resistance_base=-0.0), w)
    assert plus is not minus
    assert cast_of(sc, dict(p, resistance_base=0.0), w) is plus
