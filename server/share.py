"""A link to a run: the page's address carries the scenario, the seed and every setting
changed from the preset, so that opening it builds the same model (issue 14, point 6).

The query is the command line's: ``?scenario=baseline&seed=3&set=pressure_intensity=2``,
one ``set`` per ``--set`` of :func:`server.controls.cli_command`. A link is read back into
the controls (sliders, switches, the extra box) and checked: the scenario it builds must be
the one the words build, or the link is refused with one message naming the field.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlencode

from model.scenario import ScenarioError
from server import controls

FIELDS = ("scenario", "seed", "set")
SOURCE = "link"  # names the source in error messages


def query_of(s: controls.Settings) -> str:
    """The query string (without '?') of the run these settings build."""
    pairs = [("scenario", s.scenario), ("seed", s.seed.strip())]
    pairs += [("set", w) for w in controls.overrides(s)]
    return urlencode(pairs)


def _bool(text: str) -> bool | None:
    return {"true": True, "false": False, "1": True, "0": False}.get(text.strip().lower())


def settings_from_query(search: str | None) -> controls.Settings | None:
    """The settings a link's query names (None: no query, the defaults). Raises
    ``ScenarioError`` naming the field for an unknown field, scenario or value."""
    if not search or not search.strip("?&"):
        return None
    try:
        q = parse_qs(search.lstrip("?"), keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise ScenarioError(SOURCE, "query", f"expected key=value pairs, got {search!r}") from None
    unknown = sorted(set(q) - set(FIELDS))
    if unknown:
        raise ScenarioError(SOURCE, unknown[0], f"expected one of {', '.join(FIELDS)}")
    for field in ("scenario", "seed"):
        if len(q.get(field, [])) > 1:
            raise ScenarioError(SOURCE, field, "expected one value, got several")
    scenario = q.get("scenario", [controls.DEFAULT_SCENARIO])[0]
    if scenario not in controls.known_scenarios():
        raise ScenarioError(
            SOURCE, "scenario", f"expected one of {', '.join(controls.known_scenarios())}"
        )
    seed = q.get("seed", ["0"])[0]
    words = q.get("set", [])
    s = controls.settings_for(scenario, seed=seed)
    extra = []
    for w in words:
        key, eq, value = w.partition("=")
        if not eq:
            raise ScenarioError(SOURCE, "set", f"expected key=value, got {w!r}")
        codes = value.split(",")
        if key in controls.SLIDERS:
            s = s.with_value(key, controls.typed_value(key, value))
        elif key == "counter_alliance" and _bool(value) is not None:
            s = replace(s, counter_alliance=_bool(value))
        elif key in ("add_members", "remove_members") and set(codes) <= set(controls.EXPANSION):
            for c in codes:
                s = s.with_member(c, key == "add_members")
        elif key == "participants":
            pass  # what the switches imply (checked below)
        else:
            extra.append(w)
    s = replace(s, extra=" ".join(extra))
    built = controls.scenario_of(s)  # the app's own checks and limits
    wanted = controls.load(scenario).with_overrides(words, source=controls.SOURCE)
    if built != wanted:
        raise ScenarioError(
            SOURCE,
            "set",
            "these settings cannot be shown by the controls: open them with "
            "`pax-silica run` instead",
        )
    return s


def with_seed_of(s: controls.Settings, m) -> controls.Settings:
    """``s`` with its seed box filled in from model ``m`` when it was blank (the app then
    drew a seed at random: a link must carry the seed drawn to open the same run)."""
    if s.seed.strip() or getattr(m, "rng_seed", None) is None:
        return s
    return replace(s, seed=str(m.rng_seed))
