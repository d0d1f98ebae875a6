"""The scenario loader: every kind of bad input ends in one ``ScenarioError`` whose message
names the file, the field and what was expected; nothing else escapes (property tests)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.params import DATA_DIR, ParamSpec, coerce, registry
from model.scenario import (
    CAPACITY_KEYS,
    EVENT_TYPES,
    TOP_KEYS,
    ScenarioError,
    load_scenario,
    preset_names,
)
from model.world import REST, load_world, member_sets

WORLD = load_world()
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- a small TOML writer (tomllib only reads) ---------------------------------------------


def toml_key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else toml_str(k)


def toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def toml_doc(doc: dict) -> str:
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in doc.items())


def write(tmp_path: Path, text: str | bytes, name: str = "scen.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def assert_names(err: ScenarioError, path: Path, fld: str, expected: str) -> None:
    msg = str(err)
    assert str(path) in msg, msg
    assert err.field == fld, msg
    assert f": {fld}: " in msg, msg
    assert expected in msg, msg


# --- each validation class ------------------------------------------------------------------

NUMERIC = [s for s in registry().values() if s.type in ("float", "int")]
NON_NEGATIVE = [s for s in NUMERIC if s.min is not None and s.min >= 0]
FLOATS = [s for s in NUMERIC if s.type == "float"]

CASES = {
    "unknown top-level key": ('colour = "red"\n', "colour", "expected one of"),
    "unknown parameter": ("[parameters]\nfoo = 1\n", "parameters.foo", "unknown parameter"),
    "unknown member": ('members = ["USA", "Narnia"]\n', "members", "unknown country 'Narnia'"),
    "unknown participant": (
        'participants = ["Atlantis"]\n',
        "participants",
        "unknown country 'Atlantis'",
    ),
    "unknown added member": ('add_members = ["Oz"]\n', "add_members", "unknown country 'Oz'"),
    "unknown removed member": (
        'remove_members = ["Oz"]\n',
        "remove_members",
        "unknown country 'Oz'",
    ),
    "rest of world as member": ('members = ["USA", "ROW"]\n', "members", "unknown country"),
    "unknown capacity actor": (
        '[[capacity]]\nphase = 2\nactor = "Narnia"\nshare = 0.1\n',
        "capacity[0].actor",
        "unknown country 'Narnia'",
    ),
    "unknown event actor": (
        '[[events]]\nquarter = 2\ntype = "force_out"\nactor = "Narnia"\n',
        "events[0].actor",
        "unknown country 'Narnia'",
    ),
    "share above 1": (
        '[[capacity]]\nphase = 2\nactor = "AUS"\nshare = 1.5\n',
        "capacity[0].share",
        "expected a share in [0, 1]",
    ),
    "share below 0": (
        '[[capacity]]\nphase = 2\nactor = "AUS"\nshare = -0.1\n',
        "capacity[0].share",
        "expected a share in [0, 1]",
    ),
    "share NaN": (
        '[[capacity]]\nphase = 2\nactor = "AUS"\nshare = nan\n',
        "capacity[0].share",
        "expected a share in [0, 1]",
    ),
    "phase 13": (
        '[[capacity]]\nphase = 13\nactor = "AUS"\nshare = 0.1\n',
        "capacity[0].phase",
        "expected a whole number in [1, 12]",
    ),
    "bad basis": (
        '[[capacity]]\nphase = 2\nactor = "AUS"\nshare = 0\nbasis = "value"\n',
        "capacity[0].basis",
        'expected "volume" or "frontier"',
    ),
    "capacity above 100%": (
        '[[capacity]]\nphase = 11\nactor = "KOR"\nshare = 0.45\n',
        "capacity (phase 11, KOR)",
        "expected at most 100%",
    ),
    "two rows above 100%": (
        '[[capacity]]\nphase = 11\nactor = "KOR"\nshare = 0.13\n'
        '[[capacity]]\nphase = 11\nactor = "JPN"\nshare = 0.10\n',
        "capacity (phase 11, JPN)",
        "expected at most 100%",
    ),
    "capacity not an array": ("capacity = 3\n", "capacity", "expected an array of tables"),
    "string for number": (
        '[parameters]\ncoverage_threshold = "0.1"\n',
        "parameters.coverage_threshold",
        "expected a number in [0, 1]",
    ),
    "bool for number": (
        "[parameters]\ncoverage_threshold = true\n",
        "parameters.coverage_threshold",
        "expected a number in [0, 1]",
    ),
    "list for number": (
        "[parameters]\nadvantage_ratio = [1]\n",
        "parameters.advantage_ratio",
        "expected a number in [0.1, 10]",
    ),
    "fraction for whole number": (
        "[parameters]\nsteps = 10.5\n",
        "parameters.steps",
        "expected a whole number in [1, 400]",
    ),
    "number for list": ("members = 3\n", "members", "expected a list of actor ids"),
    "number for text": ("name = 3\n", "name", "expected text"),
    "parameters not a table": ("parameters = 3\n", "parameters", "expected a table"),
    "invalid TOML": ('members = ["USA",\n', "TOML syntax", "Invalid"),
    "bad event type": (
        '[[events]]\nquarter = 2\ntype = "invasion"\n',
        "events[0].type",
        "expected one of force_out",
    ),
    "event without type": (
        "[[events]]\nquarter = 2\n",
        "events[0].type",
        "missing; expected one of",
    ),
    "event without quarter": (
        '[[events]]\ntype = "reversal"\n',
        "events[0].quarter",
        "missing; expected a whole number in [1, 400]",
    ),
    "leader forced out": (
        '[[events]]\nquarter = 2\ntype = "force_out"\nactor = "USA"\n',
        "events[0].actor",
        "the leader (USA) cannot be forced out",
    ),
    "leader forced out by name": (
        '[[events]]\nquarter = 2\ntype = "force_out"\nactor = "united states"\n',
        "events[0].actor",
        "the leader (USA) cannot be forced out",
    ),
    "event without its actor": (
        '[[events]]\nquarter = 2\ntype = "force_out"\n',
        "events[0].actor",
        "missing; expected an actor id, one of USA",
    ),
    "event without its stringency": (
        '[[events]]\nquarter = 2\ntype = "export_control"\n',
        "events[0].stringency",
        "missing; expected a share in [0, 1]",
    ),
    "capacity without phase": (
        '[[capacity]]\nactor = "AUS"\nshare = 0.1\n',
        "capacity[0].phase",
        "missing; expected a whole number in [1, 12]",
    ),
    "capacity without actor": (
        "[[capacity]]\nphase = 2\nshare = 0.1\n",
        "capacity[0].actor",
        "missing; expected an actor id, one of USA",
    ),
    "capacity without share": (
        '[[capacity]]\nphase = 2\nactor = "AUS"\n',
        "capacity[0].share",
        "missing; expected a share in [0, 1]",
    ),
    "event with a foreign field": (
        '[[events]]\nquarter = 2\ntype = "reversal"\nactor = "JPN"\n',
        "events[0].actor",
        "expected quarter, type",
    ),
    "event stringency above 1": (
        '[[events]]\nquarter = 2\ntype = "export_control"\nstringency = 2.0\n',
        "events[0].stringency",
        "expected a share in [0, 1]",
    ),
    "event after the horizon": (
        '[[events]]\nquarter = 41\ntype = "reversal"\n',
        "events[0].quarter",
        "after the horizon (steps = 40)",
    ),
    "event after a shortened horizon": (
        "[parameters]\nsteps = 8\n"
        '[[events]]\nquarter = 2\ntype = "reversal"\n'
        '[[events]]\nquarter = 9\ntype = "reversal"\n',
        "events[1].quarter",
        "after the horizon (steps = 8)",
    ),
    "event stringency beyond the float range": (
        f'[[events]]\nquarter = 2\ntype = "export_control"\nstringency = {"9" * 400}\n',
        "events[0].stringency",
        "expected a share in [0, 1]",
    ),
    "integer too long for Python to read": (
        f"[parameters]\nsteps = {'9' * 5000}\n",
        "TOML syntax",
        "digits",
    ),
    "unknown member set": ('member_set = "g7"\n', "member_set", "expected one of intro_12"),
    "leader left out": ('members = ["JPN", "KOR"]\n', "members", "leader (USA) must be"),
    "leader removed": ('remove_members = ["USA"]\n', "members", "leader (USA) must be"),
}


@pytest.mark.parametrize("body,fld,expected", CASES.values(), ids=CASES.keys())
def test_each_invalid_scenario_names_file_field_and_expectation(tmp_path, body, fld, expected):
    path = write(tmp_path, body)
    assert_names(load_error(path), path, fld, expected)


def test_negative_values_are_refused_where_a_non_negative_number_is_needed(tmp_path):
    assert NON_NEGATIVE
    for spec in NON_NEGATIVE:
        path = write(tmp_path, f"[parameters]\n{spec.name} = -1\n")
        assert_names(load_error(path), path, f"parameters.{spec.name}", spec.expected())


def test_nan_and_infinity_are_refused(tmp_path):
    assert FLOATS
    for spec in FLOATS:
        for literal in ("nan", "inf", "-inf"):
            path = write(tmp_path, f"[parameters]\n{spec.name} = {literal}\n")
            assert_names(load_error(path), path, f"parameters.{spec.name}", spec.expected())


def test_bools_strings_and_lists_are_not_numbers(tmp_path):
    for spec in NUMERIC:
        for literal in ("true", f'"{spec.default}"', f"[{spec.default}]"):
            path = write(tmp_path, f"[parameters]\n{spec.name} = {literal}\n")
            assert_names(load_error(path), path, f"parameters.{spec.name}", spec.expected())


def test_non_utf8_bytes(tmp_path):
    path = write(tmp_path, b'name = "caf\xe9"\n')
    assert_names(load_error(path), path, "file", "expected UTF-8")


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.toml"
    assert_names(load_error(path), path, "file", "no such scenario file")


def test_missing_preset_lists_the_presets():
    err = load_error(Path("no_such_preset"))
    assert "no_such_preset.toml" in str(err)
    assert "presets: " + ", ".join(preset_names()) in str(err)


def test_circular_extends(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text('extends = "./b.toml"\n', encoding="utf-8")
    b.write_text('extends = "./a.toml"\n', encoding="utf-8")
    err = load_error(a)
    assert err.field == "extends"
    assert "circular" in str(err)
    assert str(b) in str(err) or str(a) in str(err)


def test_a_file_extending_itself(tmp_path):
    path = write(tmp_path, 'extends = "./scen.toml"\n')
    assert_names(load_error(path), path, "extends", "circular")


def test_extending_a_missing_preset_is_a_scenario_error(tmp_path):
    path = write(tmp_path, 'extends = "no_such_preset"\n')
    assert "no such scenario file" in str(load_error(path))


def test_extending_a_missing_preset_names_the_extending_file(tmp_path):
    path = write(tmp_path, 'extends = "no_such_preset"\n')
    assert_names(load_error(path), path, "extends", "no such scenario file")


def test_extends_resolves_a_sibling_file_next_to_the_extending_file(tmp_path):
    write(tmp_path, 'extends = "baseline"\n[parameters]\nsteps = 12\n', name="parent.toml")
    child = write(tmp_path, 'extends = "parent.toml"\n', name="child.toml")
    assert load_scenario(child).params["steps"] == 12


def test_capacity_overrides_are_checked_together_with_the_parents(tmp_path):
    write(tmp_path, '[[capacity]]\nphase = 11\nactor = "KOR"\nshare = 0.13\n', name="p.toml")
    child = write(
        tmp_path, 'extends = "./p.toml"\n[[capacity]]\nphase = 11\nactor = "JPN"\nshare = 0.10\n'
    )
    assert_names(load_error(child), child, "capacity (phase 11, JPN)", "expected at most 100%")


def test_a_childs_capacity_rows_that_fit_with_the_parents_apply_on_top_of_them(tmp_path):
    write(tmp_path, '[[capacity]]\nphase = 11\nactor = "KOR"\nshare = 0.13\n', name="p.toml")
    child = write(
        tmp_path, 'extends = "./p.toml"\n[[capacity]]\nphase = 11\nactor = "JPN"\nshare = 0.065\n'
    )
    w = load_scenario(child).world()
    atp = w.volume[:, 10] / w.volume[:, 10].sum()
    assert atp[w.idx("KOR")] == pytest.approx(0.13)
    assert atp[w.idx("JPN")] == pytest.approx(0.065)


def test_an_event_type_that_is_a_list(tmp_path):
    path = write(tmp_path, '[[events]]\nquarter = 2\ntype = ["force_out"]\n')
    assert_names(load_error(path), path, "events[0].type", "expected one of")


@pytest.mark.parametrize(
    "body,fld",
    [
        ("[parameters]\nsteps = {big}\n", "parameters.steps"),
        ('[[capacity]]\nphase = 2\nactor = "AUS"\nshare = {big}\n', "capacity[0].share"),
    ],
)
def test_an_integer_beyond_the_float_range(tmp_path, body, fld):
    path = write(tmp_path, body.format(big="9" * 400))
    assert load_error(path).field == fld


def test_an_extends_with_a_nul_character(tmp_path):
    path = write(tmp_path, 'extends = "a\\u0000b"\n')
    assert load_error(path).field == "extends"


@pytest.mark.parametrize("name", ["x" * 300 + ".toml", "./" + "x" * 300, "x" * 300])
def test_an_extends_too_long_for_a_file_name(tmp_path, name):
    path = write(tmp_path, f'extends = "{name}"\n')
    assert_names(load_error(path), path, "extends", "no such scenario file")


def test_a_scenario_path_too_long_for_a_file_name(tmp_path):
    path = tmp_path / ("x" * 300 + ".toml")
    assert_names(load_error(path), path, "file", "no such scenario file")


def test_extending_a_missing_sibling_file_names_the_extending_file(tmp_path):
    path = write(tmp_path, 'extends = "nowhere.toml"\n')
    assert_names(load_error(path), path, "extends", "no such scenario file")
    assert str(tmp_path / "nowhere.toml") in str(load_error(path))


def test_extends_with_an_absolute_path(tmp_path):
    parent = write(tmp_path, "[parameters]\nsteps = 16\n", name="parent.toml")
    (tmp_path / "sub").mkdir()
    child = write(tmp_path / "sub", f"extends = {toml_str(str(parent))}\n", name="child.toml")
    assert load_scenario(child).params["steps"] == 16


def test_extends_a_relative_path_from_the_extending_files_folder(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    write(tmp_path, "[parameters]\nsteps = 16\n", name="parent.toml")
    child = write(tmp_path / "sub", 'extends = "../parent.toml"\n', name="child.toml")
    monkeypatch.chdir(tmp_path / "sub")  # the working directory plays no part
    assert load_scenario(child).params["steps"] == 16
    monkeypatch.chdir(tmp_path)
    assert load_scenario(child).params["steps"] == 16


def test_a_preset_name_in_extends_is_the_preset_even_beside_a_file_of_that_name(tmp_path):
    write(tmp_path, "[parameters]\nsteps = 16\n", name="baseline.toml")
    child = write(tmp_path, 'extends = "baseline"\n', name="child.toml")
    assert load_scenario(child).params["steps"] == load_scenario("baseline").params["steps"]


def test_a_child_that_cuts_the_horizon_below_an_inherited_event_names_its_steps(tmp_path):
    write(tmp_path, '[[events]]\nquarter = 30\ntype = "reversal"\n', name="parent.toml")
    child = write(
        tmp_path,
        'extends = "./parent.toml"\n[parameters]\nsteps = 20\n'
        '[[events]]\nquarter = 10\ntype = "reversal"\n',
    )
    assert_names(load_error(child), child, "parameters.steps", "expected at least 30, got 20")


def test_a_childs_own_event_after_the_horizon_is_indexed_in_the_childs_file(tmp_path):
    write(tmp_path, '[[events]]\nquarter = 3\ntype = "reversal"\n', name="parent.toml")
    child = write(
        tmp_path, 'extends = "./parent.toml"\n[[events]]\nquarter = 50\ntype = "reversal"\n'
    )
    assert_names(load_error(child), child, "events[0].quarter", "after the horizon (steps = 40)")


# --- what a valid file does -----------------------------------------------------------------

VALID = {
    "name": "probe",
    "description": "a valid scenario touching every key",
    "member_set": "part_two_10",
    "add_members": ["GRC"],
    "remove_members": ["ISR"],
    "participants": ["TWN", "NLD", "CAN", "EUR"],
    "parameters": {"coverage_threshold": 0.12, "steps": 20},
    "capacity": [
        {"phase": 11, "actor": "CHN", "share": 0.25},
        {"phase": 11, "actor": "KOR", "share": 0.12, "basis": "volume"},
        {"phase": 6, "actor": "NLD", "share": 0.9, "basis": "frontier"},
    ],
    "events": [
        {
            "quarter": 4,
            "type": "export_control",
            "stringency": 0.5,
            "china_share": 0.9,
            "material": "gallium",
        },
        {"quarter": 8, "type": "force_out", "actor": "KOR"},
        {"quarter": 9, "type": "truce", "length": 4},
        {"quarter": 10, "type": "reversal"},
        {"quarter": 12, "type": "invite", "actor": "Taiwan"},
    ],
}


def test_a_valid_file_loads_with_every_key_applied(tmp_path):
    scen = load_scenario(write(tmp_path, toml_doc(VALID)))
    expected_members = [a for a in member_sets()["part_two_10"]["members"] if a != "ISR"]
    assert scen.members == expected_members + ["GRC"]
    assert scen.params["coverage_threshold"] == 0.12
    assert scen.params["steps"] == 20 and isinstance(scen.params["steps"], int)
    assert [e.type for e in scen.events] == [e["type"] for e in VALID["events"]]
    assert scen.events[-1].actor == "TWN"  # names resolve to ids
    w = scen.world()
    assert w.volume[w.idx("KOR"), 10] / w.volume[:, 10].sum() == pytest.approx(0.12)
    assert w.frontier[w.idx("NLD"), 5] / w.frontier[:, 5].sum() == pytest.approx(0.9)


def test_a_child_inherits_and_overrides_its_parent(tmp_path):
    write(tmp_path, toml_doc(VALID), name="parent.toml")
    child = write(
        tmp_path,
        'extends = "./parent.toml"\nremove_members = ["GRC"]\n[parameters]\nsteps = 30\n',
        name="child.toml",
    )
    parent, scen = load_scenario(tmp_path / "parent.toml"), load_scenario(child)
    assert scen.name == "child"
    assert scen.members == [a for a in parent.members if a != "GRC"]
    assert scen.params["coverage_threshold"] == 0.12
    assert scen.params["steps"] == 30
    assert scen.events == parent.events
    assert scen.capacity == parent.capacity


def test_participants_who_sign_are_no_longer_participants(tmp_path):
    scen = load_scenario(write(tmp_path, 'extends = "baseline"\nadd_members = ["NLD"]\n'))
    assert "NLD" in scen.members and "NLD" not in scen.participants


# --- Scenario.with_overrides (--set key=value) ------------------------------------------------


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("baseline")


@pytest.mark.parametrize(
    "assignment,fld,expected",
    [
        ("nonsense=1", "nonsense", "unknown parameter"),
        ("coverage_threshold", "coverage_threshold", "expected key=value"),
        ("coverage_threshold=abc", "coverage_threshold", "expected a number in [0, 1]"),
        ("coverage_threshold=2", "coverage_threshold", "expected a number in [0, 1]"),
        ("coverage_threshold=nan", "coverage_threshold", "expected a number in [0, 1]"),
        ("steps=2.5", "steps", "expected a whole number in [1, 400]"),
        ("steps=", "steps", "expected a whole number"),
        ("members=USA,Narnia", "members", "unknown country 'Narnia'"),
        ("members=JPN,KOR", "members", "leader (USA) must be"),
        ("member_set=g7", "member_set", "unknown set 'g7'"),
        ("steps=" + "9" * 400, "steps", "expected a whole number in [1, 400]"),
        ("steps=inf", "steps", "expected a whole number in [1, 400]"),
        ("coverage_threshold=" + "9" * 400, "coverage_threshold", "expected a number in [0, 1]"),
    ],
)
def test_bad_overrides(baseline, assignment, fld, expected):
    with pytest.raises(ScenarioError) as info:
        baseline.with_overrides([assignment])
    err = info.value
    assert err.source == "--set"
    assert err.field == fld
    assert expected in str(err)


def test_overrides_parse_text_into_the_parameters_type(baseline):
    scen = baseline.with_overrides(
        [
            "coverage_threshold=0.3",
            "parameters.steps=12",
            "members=USA,Japan,kor",
            "participants=TWN",
        ]
    )
    assert scen.params["coverage_threshold"] == 0.3
    assert isinstance(scen.params["coverage_threshold"], float)
    assert scen.params["steps"] == 12 and isinstance(scen.params["steps"], int)
    assert scen.members == ["USA", "JPN", "KOR"]
    assert scen.participants == ["TWN"]
    assert baseline.params["coverage_threshold"] != 0.3  # the original is untouched


def test_member_set_and_member_edits_by_override(baseline):
    scen = baseline.with_overrides(
        ["member_set=part_two_10", "add_members=NLD", "remove_members=ISR"]
    )
    assert "NLD" in scen.members and "ISR" not in scen.members
    assert "NLD" not in scen.participants


def test_an_override_that_cuts_the_horizon_below_an_event(tmp_path):
    scen = load_scenario(write(tmp_path, '[[events]]\nquarter = 30\ntype = "reversal"\n'))
    with pytest.raises(ScenarioError, match="after the horizon") as info:
        scen.with_overrides(["steps=20"])
    assert (info.value.source, info.value.field) == ("--set", "steps")
    assert "expected at least 30, got 20" in str(info.value)


@pytest.mark.parametrize("text", ["12.0", "12.", "1.2e1", " 12.0 "])
def test_an_integral_float_text_is_a_whole_number_as_in_toml(baseline, text):
    steps = baseline.with_overrides([f"steps={text}"]).params["steps"]
    assert steps == 12 and isinstance(steps, int)
    assert coerce("steps", 12.0) == 12  # as `steps = 12.0` in a file


def test_load_scenario_applies_overrides():
    assert load_scenario("baseline", ["advantage_ratio=2"]).params["advantage_ratio"] == 2.0


# --- property tests: nothing but ScenarioError escapes ------------------------------------------

# Inputs that once crashed the loader with another exception (each pinned by a test above);
# the property tests cover them too.
LIST_EVENT_TYPES = True  # test_an_event_type_that_is_a_list
NUL_IN_EXTENDS = True  # test_an_extends_with_a_nul_character
# TOML's 64-bit integers, and now and then one beyond the float range: tomllib reads
# integers of any size (test_an_integer_beyond_the_float_range).
INT64 = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([9 * 10**400, -9 * 10**400]))


def unknown_actor():
    return st.text(max_size=12).filter(lambda t: WORLD.resolve(t) in (None, REST))


SCALARS = st.one_of(
    INT64,
    st.floats(),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(
        WORLD.actor_ids
        + list(EVENT_TYPES)
        + list(member_sets())
        + ["baseline", "volume", "frontier"]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
EVENT_TYPE_VALUES = VALUES if LIST_EVENT_TYPES else SCALARS
EXTENDS_VALUES = (
    VALUES if NUL_IN_EXTENDS else VALUES.filter(lambda v: not (isinstance(v, str) and "\x00" in v))
)


def rows(keys, value_of, **fixed):
    names = st.one_of(
        st.sampled_from(sorted(keys)), st.text(max_size=8).filter(lambda k: k not in fixed)
    )
    return st.lists(
        st.builds(
            lambda extra, fx: {**extra, **fx},
            st.dictionaries(names, value_of, max_size=5),
            st.fixed_dictionaries({}, optional=fixed),
        ),
        max_size=3,
    )


EVENT_KEYS = {"quarter"} | {f for spec in EVENT_TYPES.values() for f in spec}
ACTOR_LISTS = st.lists(st.one_of(st.sampled_from(WORLD.actor_ids), st.text(max_size=6)), max_size=5)
TOP_VALUE = {
    "name": st.one_of(st.text(max_size=12), VALUES),
    "description": st.one_of(st.text(max_size=12), VALUES),
    "member_set": st.one_of(st.sampled_from(list(member_sets())), VALUES),
    **{
        k: st.one_of(ACTOR_LISTS, VALUES)
        for k in ("members", "add_members", "remove_members", "participants")
    },
    "parameters": st.one_of(
        VALUES,
        st.dictionaries(
            st.one_of(st.sampled_from(sorted(registry())), st.text(max_size=8)),
            VALUES,
            max_size=4,
        ),
    ),
    "capacity": st.one_of(SCALARS, rows(CAPACITY_KEYS, SCALARS)),
    "events": st.one_of(SCALARS, rows(EVENT_KEYS, VALUES, type=EVENT_TYPE_VALUES)),
    "extends": st.one_of(st.just("baseline"), EXTENDS_VALUES),
}


@st.composite
def random_documents(draw):
    keys = draw(st.lists(st.sampled_from(sorted(TOP_KEYS)), max_size=6, unique=True))
    if draw(st.integers(0, 9)) == 9:  # now and then one unknown key
        keys.append(draw(st.text(max_size=8)))
    return {k: draw(TOP_VALUE.get(k, VALUES)) for k in keys}


def load_or_scenario_error(path: Path) -> None:
    try:
        load_scenario(path)
    except ScenarioError:
        pass


@SETTINGS
@given(content=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_random_bytes_never_escape_as_another_exception(tmp_path, content):
    load_or_scenario_error(write(tmp_path, content))


@SETTINGS
@given(doc=random_documents())
def test_random_toml_documents_never_escape_as_another_exception(tmp_path, doc):
    load_or_scenario_error(write(tmp_path, toml_doc(doc)))


# Invalid values for each field of VALID.
DELETE = object()  # the field is left out
NOT_TEXT = st.one_of(INT64, st.floats(), st.booleans(), st.lists(st.text(max_size=4), max_size=2))
NOT_LIST = st.one_of(
    INT64,
    st.floats(),
    st.booleans(),
    st.text(max_size=6),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
NOT_NUMBER = st.one_of(st.booleans(), st.text(max_size=6), st.lists(st.integers(), max_size=2))
BAD_ACTORS = st.one_of(
    NOT_LIST,
    st.tuples(st.lists(st.sampled_from(WORLD.state_ids), max_size=3), unknown_actor()).map(
        lambda t: [*t[0], t[1]]
    ),
)


def bad_number(lo, hi, whole=False):
    outside = [
        st.floats().filter(lambda x: not lo <= x <= hi),
        INT64.filter(lambda x: not lo <= x <= hi),
        NOT_NUMBER,
    ]
    if whole:
        outside.append(st.floats(lo, hi).filter(lambda x: not x.is_integer()))
    return st.one_of(outside)


def bad_value(spec: ParamSpec):
    if spec.type in ("float", "int"):
        lo = -math.inf if spec.min is None else spec.min
        hi = math.inf if spec.max is None else spec.max
        return bad_number(lo, hi, whole=spec.type == "int")
    if spec.type == "bool":
        return st.one_of(INT64, st.floats(), st.text(max_size=6))
    return BAD_ACTORS


BAD_PARAMETER = st.one_of(
    st.sampled_from(sorted(registry())).flatmap(
        lambda name: st.tuples(st.just(name), bad_value(registry()[name]))
    ),
    st.tuples(st.text(max_size=8).filter(lambda k: k not in registry()), VALUES),
)
STEPS = VALID["parameters"]["steps"]
TOP_FIELDS = {
    "name": NOT_TEXT,
    "description": NOT_TEXT,
    "extends": NOT_TEXT,
    "member_set": st.one_of(
        NOT_TEXT, st.text(max_size=10).filter(lambda s: s not in member_sets())
    ),
    "members": BAD_ACTORS,
    "add_members": BAD_ACTORS,
    "participants": BAD_ACTORS,
    "remove_members": st.one_of(BAD_ACTORS, st.just(["USA"])),
    "parameters": st.one_of(SCALARS, st.lists(SCALARS, max_size=2)),
    "capacity": st.one_of(SCALARS, st.lists(SCALARS, min_size=1, max_size=2)),
    "events": st.one_of(SCALARS, st.lists(SCALARS, min_size=1, max_size=2)),
}
CAPACITY_FIELDS = {
    "phase": st.one_of(bad_number(1, 12, whole=True), st.just(DELETE)),
    "actor": st.one_of(unknown_actor(), NOT_TEXT, st.just(DELETE)),
    "share": st.one_of(bad_number(0.0, 1.0), st.just(DELETE)),
    "basis": st.one_of(
        st.text(max_size=8).filter(lambda b: b not in ("volume", "frontier")), NOT_TEXT
    ),
    "unknown key": st.just(None),
}
EVENT_FIELDS = {
    "type": st.one_of(
        st.text(max_size=10).filter(lambda t: t not in EVENT_TYPES),
        EVENT_TYPE_VALUES.filter(lambda t: not isinstance(t, str)),
    ),
    "quarter": bad_number(1, STEPS, whole=True),
    "stringency": bad_number(0.0, 1.0),
    "china_share": bad_number(0.0, 1.0),
    "material": NOT_TEXT,
    "length": bad_number(1, 400, whole=True),
    "actor": st.one_of(unknown_actor(), NOT_TEXT),
    "unknown key": st.just(None),
}
TARGETS = (
    [("top", f) for f in TOP_FIELDS]
    + [("top", "unknown key"), ("parameter", "")]
    + [("capacity", f) for f in CAPACITY_FIELDS]
    + [("events", f) for f in EVENT_FIELDS]
)


def with_row_changed(rows, index, key, value):
    out = [dict(r) for r in rows]
    if value is DELETE:
        del out[index][key]
    else:
        out[index][key] = value
    return out


@st.composite
def corrupted(draw):
    """VALID with exactly one field made invalid (or left out where it is required)."""
    doc = dict(VALID)
    where, fld = draw(st.sampled_from(TARGETS))
    if where == "top" and fld == "unknown key":
        doc[draw(st.text(max_size=8).filter(lambda k: k not in TOP_KEYS))] = draw(VALUES)
    elif where == "top":
        doc[fld] = draw(TOP_FIELDS[fld])
    elif where == "parameter":
        name, value = draw(BAD_PARAMETER)
        doc["parameters"] = {**VALID["parameters"], name: value}
    else:
        table = VALID[where]
        if fld == "unknown key":
            allowed = CAPACITY_KEYS if where == "capacity" else set(EVENT_FIELDS)
            fld = draw(st.text(max_size=8).filter(lambda k: k not in allowed))
            i, value = draw(st.integers(0, len(table) - 1)), draw(SCALARS)
        elif where == "capacity":
            i = draw(st.integers(0, len(table) - 1))
            value = draw(
                CAPACITY_FIELDS[fld].filter(
                    lambda v, i=i: not (v is DELETE and fld not in table[i])
                )
            )
        else:
            fits = [
                i
                for i, e in enumerate(table)
                if fld in ("type", "quarter") or fld in EVENT_TYPES[e["type"]]
            ]
            i = draw(st.sampled_from(fits))
            required = fld in ("type", "quarter") or EVENT_TYPES[table[i]["type"]][fld][1]
            value = draw(
                st.one_of(EVENT_FIELDS[fld], st.just(DELETE)) if required else EVENT_FIELDS[fld]
            )
        doc[where] = with_row_changed(table, i, fld, value)
    return f"{where}.{fld}", doc


@settings(SETTINGS, max_examples=300)
@given(case=corrupted())
def test_a_valid_file_with_one_field_corrupted_is_a_scenario_error(tmp_path, case):
    fld, doc = case
    path = write(tmp_path, toml_doc(doc))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(path) in str(info.value), (fld, str(info.value))


# --- the curated data -------------------------------------------------------------------------


def test_capacity_csv_has_no_negative_shares_not_even_minus_zero():
    import csv

    with open(DATA_DIR / "capacity.csv", encoding="utf-8", newline="") as f:
        bad = [rec for rec in csv.DictReader(f) if rec["share_pct"].lstrip().startswith("-")]
    assert not bad, bad
