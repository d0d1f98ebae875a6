"""A link carries a run: read back, it builds the same scenario and, on the same seed, the
same series; a bad link is refused with one message naming its field."""

from __future__ import annotations

from dataclasses import replace

import pytest

from model.scenario import ScenarioError, preset_names
from server import controls, share


def settings_cases():
    for name in preset_names():
        s = controls.settings_for(name, seed="3")
        yield s
        yield s.with_value("pressure_intensity", 2.5).with_value("gulf_capital", 120.0)
        t = s.with_member("TWN", "TWN" not in s.expansion)
        if not controls.switch_locked(name, "TWN"):
            yield replace(t, counter_alliance=not s.counter_alliance, extra="n_investors=200")


@pytest.mark.parametrize("s", list(settings_cases()), ids=lambda s: s.scenario)
def test_a_link_builds_the_same_run(s):
    back = share.settings_from_query(share.query_of(s))
    assert controls.scenario_of(back) == controls.scenario_of(s)
    a, b = controls.build_model(s), controls.build_model(back)
    for _ in range(4):
        a.step()
        b.step()
    assert a.datacollector.model_vars == b.datacollector.model_vars


def test_a_blank_seed_is_carried_as_the_seed_drawn():
    s = controls.settings_for("baseline", seed="")
    m = controls.build_model(s)
    linked = share.with_seed_of(s, m)
    assert linked.seed == str(m.rng_seed)
    assert "seed=" + str(m.rng_seed) in share.query_of(linked)


def test_no_query_is_the_defaults():
    assert share.settings_from_query(None) is None and share.settings_from_query("?") is None


@pytest.mark.parametrize(
    "query, field",
    [
        ("colour=red", "colour"),
        ("scenario=atlantis", "scenario"),
        ("seed=1&seed=2", "seed"),
        ("set=pressure_intensity", "set"),
        ("set=pressure_intensity=lots", "pressure_intensity"),
        ("set=pressure_intensity=99", "pressure_intensity"),
        ("set=no_such_parameter=1", "no_such_parameter"),
        ("scenario", "query"),
    ],
)
def test_a_bad_link_is_refused_naming_its_field(query, field):
    with pytest.raises(ScenarioError) as e:
        share.settings_from_query(query)
    assert field in str(e.value) and "\n" not in str(e.value)
