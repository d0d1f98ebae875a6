"""The calibration targets and the model's side of them (``model/observables.py``)."""

from __future__ import annotations

import pytest

from model.model import PaxSilicaModel
from model.observables import (
    CALIBRATION_DIR,
    TargetError,
    fitted,
    held_out,
    parse_targets,
    simulate,
    targets,
)
from model.scenario import load_scenario

GOOD = """
[t]
scenario = "ree_april_2025"
observable = "price_ratio"
quarter = 1
observed = 3.0
band = [2.5, 3.2]
source = "SMM"
held_out = false
"""


def test_the_record_s_targets_load_with_sources_and_some_held_out():
    ts = targets()
    assert len(ts) >= 6
    assert all(t.source for t in ts)
    assert fitted() and held_out()
    assert {t.name for t in fitted()}.isdisjoint({t.name for t in held_out()})


@pytest.mark.parametrize(
    "old, new, says",
    [
        ('scenario = "ree_april_2025"', 'scenario = "nowhere"', "t.scenario: expected"),
        ('observable = "price_ratio"', 'observable = "mood"', "t.observable: expected one of"),
        ("quarter = 1", "quarter = 0", "t.quarter: expected a whole number"),
        ("observed = 3.0", 'observed = "3"', "t.observed: expected a number"),
        ("band = [2.5, 3.2]", "band = [3.1, 3.2]", "t.band: expected [low, high] around"),
        ('source = "SMM"', 'source = " "', "t.source: expected where the record says it"),
        ("held_out = false", "held_out = 1", "t.held_out: expected true or false"),
        ("quarter = 1", "quarter = [", "not valid TOML"),
    ],
)
def test_a_malformed_target_is_refused_naming_it_and_its_field(old, new, says):
    assert parse_targets(GOOD)[0].observed == 3.0  # the mended twin loads
    with pytest.raises(TargetError) as e:
        parse_targets(GOOD.replace(old, new))
    assert says in str(e.value)


def test_an_accession_target_needs_its_actors():
    text = GOOD.replace('"price_ratio"', '"joined_share"')
    with pytest.raises(TargetError, match="t.actors: expected a non-empty list"):
        parse_targets(text)
    assert parse_targets(text + 'actors = ["QAT"]\n')[0].actors == ("QAT",)


def test_the_price_ratio_is_the_model_s_price_after_the_shock():
    m = PaxSilicaModel(
        load_scenario(CALIBRATION_DIR / "ree_april_2025.toml"), rng=5, n_investors=50
    )
    m.step()
    t = next(t for t in targets() if t.name == "ree_april_2025_price")
    assert simulate({}, 5, 1, [t])[t.name] == pytest.approx(m.price_index)


def test_simulated_targets_are_reproducible_from_their_seed():
    assert simulate({}, 11, 3) == simulate({}, 11, 3)


def test_members_leave_under_the_2025_shock_more_often_the_more_prices_hurt():
    """Dose-response: the share of runs with an exit under the April-2025 control rises
    with price pain (threshold held low so that the rule is exercised), 24 runs a dose."""
    t = next(t for t in fitted() if t.name == "ree_april_2025_members_hold")
    shares = [
        simulate({"price_pain": pp, "defection_threshold": 1.3}, 100, 24, [t])[t.name]
        for pp in (0.1, 0.25, 0.32, 0.4)
    ]
    assert shares[0] == 0.0
    assert shares == sorted(shares) and shares[-1] >= 0.4, shares
