"""The claims ledger (model/data/claims.toml): every entry reads, every preset pair differs
in what its entry says and nothing else, the data-only claims C1-C3 hold and read no
uncertain parameter, and a bad entry is refused naming its field."""

from __future__ import annotations

import pytest

from model.claims import (
    ClaimError,
    arm,
    ledger,
    parse_ledger,
    preset_difference,
    run_seeds,
    scenario_sets,
    table_check,
)

DOSE = """
[X]
claim = "C6"
words = "w"
role = "primary"
kind = "dose"
scenario = "baseline"
cause = "pressure_intensity"
doses = [0.0, 1.0]
outcome = "event_observed"
expected = "increase"
statistic = "s"
"""


def test_every_claim_of_the_paper_has_an_entry():
    entries = ledger()
    assert {e.claim for e in entries} == {f"C{i}" for i in range(1, 7)}
    primary = {e.claim for e in entries if e.role == "primary" and e.kind != "table"}
    assert primary == {"C4", "C5", "C6"}


def test_each_preset_pair_differs_in_what_its_entry_declares():
    for e in ledger():
        if e.kind == "presets":
            assert sorted(preset_difference(e.control, e.treated)) == sorted(e.differs_in)


def test_the_key_member_exit_pair_differs_in_one_scripted_event_only():
    assert preset_difference("baseline", "key_member_exit") == ["events"]
    assert preset_difference("baseline", "expansion") == ["members", "participants"]


def test_the_arms_of_an_entry_differ_in_the_cause_alone():
    c6b = next(e for e in ledger() if e.id == "C6b")
    a, b = c6b.arms()
    assert a.scenario == b.scenario == "counter_alliance"
    assert dict(a.overrides) == {**dict(b.overrides), "counter_alliance": False}
    # the default dose is the scenario itself, run once
    assert arm("baseline", {"pressure_intensity": 1.0}).key == "baseline"


@pytest.mark.parametrize("check", ["c1", "c2", "c3"])
def test_the_data_claims_hold_and_read_no_uncertain_parameter(check):
    t = table_check(check)
    assert t["holds"]
    assert t["parameters_read"] and t["uncertain_read"] == []


def test_a_cause_that_is_uncertain_is_not_among_the_drawn_parameters():
    c4a = next(e for e in ledger() if e.id == "C4a")
    assert "initial_credibility" in scenario_sets(c4a)


def test_runs_share_their_seeds_across_arms_and_not_across_draws():
    assert run_seeds(3, 2) == [300, 301]
    assert not set(run_seeds(3, 4)) & set(run_seeds(4, 4))


@pytest.mark.parametrize(
    "edit,field",
    [
        (('claim = "C6"', 'claim = "C9"'), "X.claim"),
        (('kind = "dose"', 'kind = "guess"'), "X.kind"),
        (('cause = "pressure_intensity"', 'cause = "no_such"'), "X.cause"),
        (("doses = [0.0, 1.0]", "doses = [1.0, 0.0]"), "X.doses"),
        (("doses = [0.0, 1.0]", "doses = [0.0, 99.0]"), "X.doses"),
        (('expected = "increase"', 'expected = "up"'), "X.expected"),
        (('outcome = "event_observed"', 'outcome = "luck"'), "X.outcome"),
        (('scenario = "baseline"', 'scenario = "nosuch"'), "X.scenario"),
        (('words = "w"', 'words = ""'), "X.words"),
    ],
)
def test_a_bad_entry_is_refused_naming_its_field(edit, field):
    with pytest.raises(ClaimError, match=rf"claims.toml: {field}: expected"):
        parse_ledger(DOSE.replace(*edit))


def test_a_preset_pair_that_differs_in_more_than_it_declares_is_refused():
    text = """
[P]
claim = "C6"
words = "w"
role = "secondary"
kind = "presets"
control = "baseline"
treated = "escalation"
differs_in = ["pressure_intensity"]
outcome = "event_observed"
expected = "increase"
statistic = "s"
"""
    with pytest.raises(ClaimError, match=r"P.differs_in: expected what baseline and escalation"):
        parse_ledger(text)
