"""Every parameter is tagged (issue 13, point 1): ``data`` with a source, ``lever`` for what a
government chooses, ``uncertain`` with a prior inside its range around its default. A
malformed ``parameters.toml`` is refused with one message naming the parameter, the field and
what was expected; the ODD table carries every tag and prior."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from model.params import (
    ODD_BEGIN,
    ODD_END,
    PRIOR_SCALES,
    TAGS,
    levers_of,
    markdown_table,
    parse_registry,
    prior_cell,
    registry,
    tag_summary,
    tagged,
    uncertain,
)

ROOT = Path(__file__).resolve().parents[2]
ODD = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")

# A valid file of two parameters; the second, `y`, is the one each bad case spoils, so the
# message must name the right parameter, not just the first.
GOOD_X = """
[x]
group = "g"
type = "float"
default = 1.0
min = 0.0
max = 5.0
unit = ""
doc = "A lever."
tag = "lever"
actor = "USA"
"""

Y_FIELDS = {
    "group": '"g"',
    "type": '"float"',
    "default": "2.0",
    "min": "0.0",
    "max": "10.0",
    "unit": '""',
    "doc": '"Behavioural."',
    "tag": '"uncertain"',
    "prior": "[1.0, 4.0]",
    "prior_scale": '"linear"',
    "prior_reason": '"Why this range."',
}


def write(tmp_path: Path, **changes: str | None) -> Path:
    """A parameters file of ``x`` and ``y``, with ``y``'s fields changed (None drops one)."""
    fields = dict(Y_FIELDS)
    for k, v in changes.items():
        if v is None:
            fields.pop(k, None)
        else:
            fields[k] = v
    body = "\n".join(f"{k} = {v}" for k, v in fields.items())
    path = tmp_path / "params_under_test.toml"
    path.write_text(GOOD_X + "\n[y]\n" + body + "\n", encoding="utf-8")
    return path


def test_the_valid_sample_parses_with_its_prior(tmp_path):
    specs = parse_registry(write(tmp_path))
    assert list(specs) == ["x", "y"]
    assert specs["x"].tag == "lever" and specs["x"].prior is None and specs["x"].source == ""
    y = specs["y"]
    assert (y.tag, y.prior, y.prior_scale, y.prior_reason) == (
        "uncertain",
        (1.0, 4.0),
        "linear",
        "Why this range.",
    )


LEVER = {"tag": '"lever"', "actor": '"USA"', "prior": None, "prior_scale": None} | {
    "prior_reason": None
}

BAD = [
    # (changes to y, field named, words of what was expected)
    ({"tag": None}, "tag", "one of data, lever, uncertain; missing"),
    ({"tag": '"guess"'}, "tag", "one of data, lever, uncertain; got 'guess'"),
    ({"prior": None}, "prior", "[lo, hi], two numbers; missing"),
    ({"prior": "[1.0]"}, "prior", "[lo, hi], two numbers"),
    ({"prior": '[1.0, "4"]'}, "prior", "[lo, hi], two numbers"),
    ({"prior_reason": None}, "prior_reason", "why the prior is this range; missing"),
    ({"prior_reason": '"  "'}, "prior_reason", "why the prior is this range"),
    ({"prior_scale": None}, "prior_scale", "one of linear, log; missing"),
    ({"prior_scale": '"logit"'}, "prior_scale", "one of linear, log; got 'logit'"),
    ({"prior": "[-1.0, 4.0]"}, "prior", "within [min, max] = [0, 10]"),
    ({"prior": "[1.0, 11.0]"}, "prior", "within [min, max] = [0, 10]"),
    ({"prior": "[2.5, 4.0]"}, "prior", "containing the default 2.0"),
    ({"prior": "[0.5, 1.5]"}, "prior", "containing the default 2.0"),
    ({"prior": "[2.0, 2.0]", "default": "2.0"}, "prior", "lo < hi"),
    ({"prior": "[4.0, 1.0]"}, "prior", "lo < hi"),
    ({"prior": "[0.0, 4.0]", "prior_scale": '"log"'}, "prior", "lo > 0 on a log scale"),
    (
        {"tag": '"data"', "prior": None, "prior_scale": None, "prior_reason": None},
        "source",
        "where a data parameter's value comes from",
    ),
    (
        {"tag": '"data"', "source": '""', "prior": None, "prior_scale": None, "prior_reason": None},
        "source",
        "non-empty",
    ),
    ({"tag": '"lever"', "prior_scale": None, "prior_reason": None}, "prior", "no prior on a lever"),
    (
        {"tag": '"data"', "source": '"a paper"', "prior": None, "prior_scale": None},
        "prior_reason",
        "no prior_reason on a data parameter",
    ),
    ({"tag": '"lever"', "prior": None, "prior_reason": None}, "prior_scale", "no prior_scale"),
    (
        {"type": '"bool"', "default": "false", "min": "0", "max": "1", "prior": "[0, 1]"},
        "type",
        "float or int for an uncertain parameter",
    ),
    (
        {"type": '"int"', "default": "2", "prior": "[1.5, 4]"},
        "prior",
        "two whole numbers for an int parameter",
    ),
    ({"min": None, "max": None}, "min", "min and max for an uncertain parameter"),
    # a lever names who pulls it (issue 15): an actor id of actors.csv, or several
    (
        {"tag": '"lever"', "prior": None, "prior_scale": None, "prior_reason": None},
        "actor",
        "an actor id of actors.csv",
    ),
    (
        {"tag": '"lever"', "actor": '"XYZ"', "prior": None, "prior_scale": None}
        | {"prior_reason": None},
        "actor",
        "'XYZ' is not one",
    ),
    (
        {"tag": '"lever"', "actor": "[]", "prior": None, "prior_scale": None}
        | {"prior_reason": None},
        "actor",
        "an actor id of actors.csv",
    ),
    (
        {"tag": '"lever"', "actor": '["USA", "USA"]', "prior": None, "prior_scale": None}
        | {"prior_reason": None},
        "actor",
        "each actor once",
    ),
    ({"actor": '"USA"'}, "actor", "no actor on uncertain parameters"),
    # ... and may narrow the range the optimiser searches, saying why
    (LEVER | {"search": "[1.0]", "search_reason": '"why"'}, "search", "[lo, hi], two numbers"),
    (LEVER | {"search": "[4.0, 1.0]", "search_reason": '"why"'}, "search", "lo < hi"),
    (LEVER | {"search": "[0.0, 11.0]", "search_reason": '"why"'}, "search", "within [min, max]"),
    (LEVER | {"search": "[0.0, 4.0]"}, "search_reason", "why the search range is this"),
    ({"search": "[1.0, 4.0]"}, "search", "no search on uncertain parameters"),
]


@pytest.mark.parametrize("changes, field, expected", BAD)
def test_a_malformed_file_is_refused_naming_the_parameter_and_field(
    tmp_path, changes, field, expected
):
    path = write(tmp_path, **changes)
    with pytest.raises(RuntimeError) as err:
        parse_registry(path)
    message = str(err.value)
    assert message.startswith(f"params_under_test.toml: y.{field}: expected "), message
    assert expected in message, message


def test_the_same_entry_passes_when_the_case_is_mended(tmp_path):
    """The refusals above come from the change, not from the sample: each mended twin loads."""
    for changes in (
        {"prior_scale": '"log"'},
        {"prior": "[2.0, 4.0]"},
        {"tag": '"data"', "source": '"a paper"', "prior": None, "prior_scale": None}
        | {"prior_reason": None},
        {"type": '"int"', "default": "2", "prior": "[1, 4]"},
        {"tag": '"lever"', "actor": '["CHN", "RUS"]', "prior": None, "prior_scale": None}
        | {"prior_reason": None},
        LEVER | {"search": "[0.0, 4.0]", "search_reason": '"why"'},
    ):
        assert parse_registry(write(tmp_path, **changes))["y"].name == "y"


def test_the_model_registry_is_the_file_parsed_once():
    assert registry() is registry()
    assert registry() == parse_registry(ROOT / "model" / "data" / "parameters.toml")


def test_every_parameter_has_a_valid_tag():
    specs = registry()
    assert len(specs) > 90
    for s in specs.values():
        assert s.tag in TAGS, s.name
        if s.tag == "data":
            assert s.source.strip(), s.name
        if s.tag != "uncertain":
            assert s.prior is None and s.prior_scale is None and not s.prior_reason, s.name
    by_tag = [tagged(t) for t in TAGS]
    assert sum(len(group) for group in by_tag) == len(specs)
    assert all(by_tag), "every tag is used"
    order = list(specs)
    for group in by_tag:  # file order
        idx = [order.index(s.name) for s in group]
        assert idx == sorted(idx)
    with pytest.raises(ValueError, match="tag: expected one of data, lever, uncertain"):
        tagged("behavioural")


def test_levers_are_what_governments_choose():
    levers = {s.name for s in tagged("lever")}
    assert {
        "side_payment_budget",
        "china_budget",
        "russia_budget",
        "pressure_intensity",
        "leader_investment",
        "refining_investment",
        "refining_investors",
        "invitations",
        "inducement_share",
        "truce_length",
    } <= levers
    assert not levers & {"supply_benefit", "defection_threshold", "social_influence"}


def test_every_lever_names_who_pulls_it():
    """The sides of ``pax-silica optimize --as us|china`` come from the data: the US's budget
    and invitations are Washington's, China's budget and controls Beijing's, and a knob
    every pressurer turns belongs to no one side alone."""
    for s in registry().values():
        assert bool(s.actors) == (s.tag == "lever"), s.name
    us = {s.name for s in levers_of("USA")}
    china = {s.name for s in levers_of("CHN")}
    assert {"side_payment_budget", "side_payment_targets", "leader_investment"} <= us
    assert {"refining_investment", "invitations", "invite_interval"} <= us
    assert {"china_budget", "control_stringency", "truce_cost_share"} <= china
    assert not us & china
    assert "pressure_intensity" not in us | china  # every pressurer's
    assert registry()["pressure_intensity"].actors == ("CHN", "RUS", "BRA", "EUR")
    for s in tagged("lever"):
        if s.type in ("float", "int"):
            lo, hi = s.search_range()
            assert s.min <= lo < hi <= s.max, s.name
            assert (s.search is None) == (not s.search_reason), s.name


def test_run_settings_are_data_and_say_so():
    for name in ("steps", "start_year", "stop_at_collapse", "n_investors"):
        s = registry()[name]
        assert s.tag == "data" and s.source.startswith("run setting: "), name


def test_every_uncertain_default_lies_in_its_prior():
    unc = uncertain()
    assert unc == tagged("uncertain")
    names = {s.name for s in unc}
    # ODD 5.2's hand-calibrated behavioural parameters that are not levers
    assert {
        "supply_benefit",
        "defection_threshold",
        "social_influence",
        "market_denial_effect",
        "political_noise",
        "join_threshold",
        "price_pain",
        "grievance_memory",
        "belief_update",
    } <= names
    for s in unc:
        assert s.type in ("float", "int"), s.name
        lo, hi = s.prior
        assert s.min <= lo < hi <= s.max, s.name
        assert lo <= s.default <= hi, s.name
        assert s.prior_scale in PRIOR_SCALES and s.prior_reason.strip(), s.name
        if s.prior_scale == "log":
            assert lo > 0, s.name
        # a prior, not the whole allowed range: narrower than min..max
        assert (lo, hi) != (s.min, s.max), s.name
        if s.prior_scale == "linear" and lo > 0:
            assert hi / lo <= 20, f"{s.name}: a span of more than 20x belongs on a log scale"


def odd_rows() -> dict[str, list[str]]:
    """The ODD table's rows by parameter name, as lists of cells."""
    table = ODD[ODD.index(ODD_BEGIN) : ODD.index(ODD_END)]
    rows = {}
    for line in table.splitlines():
        m = re.match(r"^\| [^|]+ \| `(\w+)` \|", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
    return rows


def test_the_odd_table_carries_each_tag_and_prior():
    rows = odd_rows()
    header = markdown_table().splitlines()[4]
    assert header.startswith("| group | parameter | tag | default | range | prior |")
    assert set(rows) == set(registry())
    for s in registry().values():
        cells = rows[s.name]
        assert cells[2] == s.tag, s.name
        assert cells[5] == prior_cell(s), s.name
        if s.prior is not None:
            lo, hi = (float(x) for x in re.findall(r"[-\d.e+]+", cells[5])[:2])
            assert math.isclose(lo, s.prior[0]) and math.isclose(hi, s.prior[1]), s.name
            assert cells[5].endswith(" log") == (s.prior_scale == "log"), s.name
        else:
            assert cells[5] == "", s.name


def test_the_odd_count_per_tag_matches_the_table():
    rows = odd_rows()
    counts = {t: sum(1 for cells in rows.values() if cells[2] == t) for t in TAGS}
    line = (
        f"{len(rows)} parameters: {counts['data']} data, {counts['lever']} levers, "
        f"{counts['uncertain']} uncertain."
    )
    assert line == tag_summary()
    assert line in ODD[ODD.index(ODD_BEGIN) : ODD.index(ODD_END)]
