"""The loader refuses what the model cannot run: every preset, randomly mutated, either
ends in a ``ScenarioError`` from the loader or runs two quarters cleanly; nothing the
loader accepts may crash the model (property test), and the cases testers found each get
their own message."""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.pressurer import RIVALS
from model.model import PaxSilicaModel
from model.params import ParamSpec, registry
from model.scenario import (
    EVENT_TYPES,
    MAX_EXTENDS,
    MAX_NESTING,
    SCENARIO_DIR,
    ScenarioError,
    load_scenario,
    preset_names,
)
from model.world import LEADER, REST, load_world
from tests.model.test_scenario_loader import toml_doc

WORLD = load_world()
STATES = WORLD.state_ids
PRESETS = sorted(SCENARIO_DIR.glob("*.toml")) + sorted(
    p
    for p in (SCENARIO_DIR.parent / "calibration").glob("*.toml")
    if p.name != "targets.toml"  # the calibration's targets, not a scenario
)
DOCS = {p.stem: tomllib.loads(p.read_text(encoding="utf-8")) for p in PRESETS}
MEMBER_FIELDS = ("members", "add_members", "remove_members", "participants")

# --- random values and mutations -------------------------------------------------------

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
any_value = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
actor_id = st.one_of(
    st.sampled_from(STATES),
    st.sampled_from([*RIVALS, REST, "XXX", "usa", "", "Japan"]),
    st.text(max_size=4),
)
odd_number = st.one_of(
    st.sampled_from([0, 1, -1, 0.0, -0.0, 1.0, 0.5, 1e-300, 1e300, 2, 13, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-5, max_value=20),
)


def param_value(spec: ParamSpec) -> st.SearchStrategy:
    """Values for one parameter: its bounds, inside them, just outside, another type."""
    if spec.type == "bool":
        return st.one_of(st.booleans(), any_value)
    if spec.type == "actors":
        return st.one_of(st.lists(actor_id, max_size=4), any_value)
    lo, hi = spec.min, spec.max
    edges = [x for x in (lo, hi) if x is not None]
    near = [x + d for x in edges for d in (-1, 1, -1e-9, 1e-9)]
    if spec.type == "int":
        inside = st.integers(
            int(lo if lo is not None else -100), int(hi if hi is not None else 100)
        )
    else:
        inside = st.floats(
            lo if lo is not None else -1e6, hi if hi is not None else 1e6, allow_nan=False
        )
    return st.one_of(st.sampled_from(edges + near), inside, odd_number, any_value)


@st.composite
def random_event(draw) -> dict:
    etype = draw(st.one_of(st.sampled_from(list(EVENT_TYPES)), st.text(max_size=6)))
    row: dict = {"type": etype}
    if draw(st.booleans()):
        row["quarter"] = draw(st.one_of(st.integers(-2, 14), odd_number))
    for name, (kind, _) in EVENT_TYPES.get(etype, {}).items():
        if draw(st.integers(0, 4)) == 0:
            continue  # left out
        row[name] = draw(
            {
                "actor": actor_id,
                "fraction": odd_number,
                "quarters": st.one_of(st.integers(-1, 14), odd_number),
                "text": st.text(max_size=8),
            }[kind]
            if draw(st.integers(0, 5))
            else any_value
        )
    if draw(st.integers(0, 6)) == 0:
        row[draw(st.sampled_from(["actor", "length", "zzz", "stringency"]))] = draw(any_value)
    return row


@st.composite
def random_capacity(draw) -> dict:
    row = {
        "phase": draw(st.one_of(st.integers(-1, WORLD.n_phases + 1), odd_number)),
        "actor": draw(st.one_of(st.sampled_from(WORLD.actor_ids), actor_id)),
        "share": draw(odd_number),
        "basis": draw(st.sampled_from(["volume", "frontier", "both", 1])),
    }
    for k in list(row):
        if draw(st.integers(0, 6)) == 0:
            del row[k]
    return row


def paths(doc, prefix=()) -> list[tuple]:
    """Every key path into a document (into tables and lists), for delete and replace."""
    out = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc)
    for k, v in items:
        out.append((*prefix, k))
        if isinstance(v, dict | list):
            out += paths(v, (*prefix, k))
    return out


def at(doc, path):
    for k in path:
        doc = doc[k]
    return doc


@st.composite
def mutation(draw, doc: dict) -> None:
    """Apply one random change to ``doc`` in place."""
    kind = draw(
        st.sampled_from(
            [
                "delete",
                "replace",
                "parameter",
                "members",
                "rival",
                "event",
                "extends",
                "capacity",
            ]
        )
    )
    every = paths(doc)
    if kind == "delete" and every:
        path = draw(st.sampled_from(every))
        del at(doc, path[:-1])[path[-1]]
    elif kind == "replace" and every:
        path = draw(st.sampled_from(every))
        old = at(doc, path)
        at(doc, path[:-1])[path[-1]] = draw(any_value.filter(lambda v: type(v) is not type(old)))
    elif kind == "parameter":
        spec = draw(st.sampled_from(list(registry().values())))
        params = doc.setdefault("parameters", {})
        if isinstance(params, dict):
            params[spec.name] = draw(param_value(spec))
    elif kind == "members":
        fld = draw(st.sampled_from(MEMBER_FIELDS))
        doc[fld] = draw(st.lists(st.one_of(st.sampled_from(STATES), actor_id), max_size=6))
    elif kind == "rival":
        fld = draw(st.sampled_from(["members", "add_members", "participants"]))
        doc[fld] = [*draw(st.lists(st.sampled_from(STATES), max_size=3)), *RIVALS[:1]]
    elif kind == "event":
        events = doc.setdefault("events", [])
        if isinstance(events, list):
            events.append(draw(random_event()))
    elif kind == "extends":
        doc["extends"] = draw(
            st.one_of(
                st.sampled_from([*preset_names(), "parent.toml", "./parent.toml", "scen.toml"]),
                st.sampled_from(["nope", "../nope.toml", "/", ".", ""]),
                any_value,
            )
        )
    elif kind == "capacity":
        capacity = doc.setdefault("capacity", [])
        if isinstance(capacity, list):
            capacity.append(draw(random_capacity()))


@st.composite
def mutated_presets(draw) -> tuple[dict, dict]:
    """A preset with 1-4 random changes, and a parent (another mutated preset) that
    ``extends = "parent.toml"`` finds beside it."""
    docs = []
    for n_changes in (draw(st.integers(1, 4)), draw(st.integers(0, 2))):
        doc = tomllib.loads(toml_doc(DOCS[draw(st.sampled_from(sorted(DOCS)))]))  # a copy
        for _ in range(n_changes):
            draw(mutation(doc))
        docs.append(doc)
    return docs[0], docs[1]


def run_two_quarters(path: Path) -> None:
    """Load ``path``; if the loader accepts it, build the model and run two quarters."""
    try:
        scen = load_scenario(path)
    except ScenarioError:
        return
    model = PaxSilicaModel(scen, rng=0, n_investors=20)
    for _ in range(min(2, scen.params["steps"])):
        if not model.running:
            break
        model.step()


@settings(
    max_examples=1000,  # about 20-25 s here
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(docs=mutated_presets())
def test_a_mutated_preset_is_refused_or_runs_two_quarters(docs):
    doc, parent = docs
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "parent.toml").write_text(toml_doc(parent), encoding="utf-8")
        path = Path(tmp) / "scen.toml"
        path.write_text(toml_doc(doc), encoding="utf-8")
        run_two_quarters(path)


@pytest.mark.parametrize("path", PRESETS, ids=lambda p: p.stem)
def test_every_preset_loads_and_runs_two_quarters(path):
    model = PaxSilicaModel(load_scenario(path), rng=0, n_investors=20)
    model.step()
    model.step()
    assert model.quarter == 2


# --- the cases testers found, each with its message -------------------------------------


def refused(tmp_path: Path, text: str | bytes = "", overrides=None, name="scen.toml"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    return info.value


@pytest.mark.parametrize("rival", RIVALS)
@pytest.mark.parametrize("fld", ["members", "add_members", "participants"])
def test_a_rival_can_be_neither_member_nor_participant(tmp_path, rival, fld):
    text = f'extends = "baseline"\n{fld} = ["USA", "JPN", "{rival}"]\n'
    err = refused(tmp_path, text)
    assert err.field == fld and rival in err.detail and "rival" in err.detail, err
    err = refused(tmp_path, 'extends = "baseline"\n', [f"{fld}=USA,JPN,{rival}"])
    assert (err.source, err.field) == ("--set", fld) and rival in err.detail, err


def test_a_rival_cannot_be_invited(tmp_path):
    err = refused(
        tmp_path, 'extends = "baseline"\n[[events]]\nquarter = 2\ntype = "invite"\nactor = "RUS"\n'
    )
    assert err.field == "events[0].actor" and "rival" in err.detail, err


def test_the_leader_must_stay_a_member_whatever_edits_the_members(tmp_path):
    err = refused(tmp_path, 'extends = "baseline"\nremove_members = ["USA"]\n')
    assert err.field == "members" and LEADER in err.detail, err


def test_a_force_out_of_a_non_member_is_refused_with_the_reason(tmp_path):
    text = 'extends = "baseline"\n[[events]]\nquarter = 3\ntype = "force_out"\nactor = "TWN"\n'
    err = refused(tmp_path, text)
    assert err.field == "events[0].actor", err
    assert "TWN is not a member at quarter 3" in err.detail, err
    assert "initial members" in err.detail, err


def test_a_second_force_out_of_the_same_state_is_refused(tmp_path):
    row = '[[events]]\nquarter = {}\ntype = "force_out"\nactor = "KOR"\n'
    err = refused(tmp_path, 'extends = "baseline"\n' + row.format(6) + row.format(3))
    assert err.field == "events[0].actor" and "quarter 6" in err.detail, err


def test_an_invite_of_a_member_is_refused_with_the_reason(tmp_path):
    text = 'extends = "baseline"\n[[events]]\nquarter = 2\ntype = "invite"\nactor = "JPN"\n'
    err = refused(tmp_path, text)
    assert err.field == "events[0].actor" and "JPN is already a member" in err.detail, err


def test_an_invite_of_a_state_forced_out_earlier_loads(tmp_path):
    rows = (
        '[[events]]\nquarter = 2\ntype = "force_out"\nactor = "KOR"\n'
        '[[events]]\nquarter = 5\ntype = "invite"\nactor = "KOR"\n'
    )
    path = tmp_path / "scen.toml"
    path.write_text('extends = "baseline"\n' + rows, encoding="utf-8")
    assert [e.type for e in load_scenario(path).events] == ["force_out", "invite"]


def test_members_that_no_longer_fit_an_inherited_event_name_the_members_edit(tmp_path):
    err = refused(tmp_path, 'extends = "key_member_exit"\nremove_members = ["KOR"]\n')
    assert err.field == "remove_members" and "inherited force_out" in err.detail, err
    err = refused(tmp_path, 'extends = "invitation"\nadd_members = ["TWN"]\n')
    assert err.field == "add_members" and "already a member" in err.detail, err
    with pytest.raises(ScenarioError) as info:
        load_scenario("key_member_exit", ["remove_members=KOR"])
    assert (info.value.source, info.value.field) == ("--set", "remove_members")


def test_an_extends_chain_past_the_limit_is_refused(tmp_path):
    for i in range(MAX_EXTENDS + 1):
        (tmp_path / f"c{i}.toml").write_text(f'extends = "c{i + 1}.toml"\n', encoding="utf-8")
    (tmp_path / f"c{MAX_EXTENDS + 1}.toml").write_text('extends = "baseline"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "c0.toml")
    assert info.value.field == "extends" and f"at most {MAX_EXTENDS}" in info.value.detail
    assert load_scenario(tmp_path / "c2.toml").name == "c2"  # exactly the limit: fine


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1),
        "x = " + "[" * 3000 + "]" * 3000,  # deeper than the TOML reader can recurse
        "parameters = " + "{a = " * 600 + "1" + "}" * 600,
        "[" + ".".join(["a"] * 5000) + "]",  # a dotted key nests without recursing
    ],
    ids=["just-past", "arrays-3000", "tables-600", "dotted-5000"],
)
def test_nesting_past_the_limit_is_refused(tmp_path, text):
    err = refused(tmp_path, text + "\n")
    assert err.field == "TOML nesting" and f"at most {MAX_NESTING}" in err.detail, err


def test_nesting_at_the_limit_reaches_the_usual_checks(tmp_path):
    err = refused(tmp_path, "x = " + "[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1) + "\n")
    assert err.field == "x", err  # an unknown key, not a nesting error


def test_unreadable_scenario_files_name_the_file(tmp_path):
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "plain.toml").write_text('name = "x"\n', encoding="utf-8")
    for path, words in [
        (tmp_path / "folder.toml", "is a folder"),
        (tmp_path / "plain.toml" / "x.toml", "part of the path is a file"),
    ]:
        with pytest.raises(ScenarioError) as info:
            load_scenario(path)
        assert (info.value.source, info.value.field) == (str(path), "file")
        assert words in info.value.detail
    err = refused(tmp_path, b'name = "\xff"\n')
    assert err.field == "file" and "UTF-8" in err.detail, err
