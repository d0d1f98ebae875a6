"""The app's charts (server/charts.py) as the data plotly.js draws: valid Plotly figures,
the model's numbers, one palette across charts and the map, text of at least 12 px, and
a world map whose every actor is a country of the geometry the app ships offline."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from agents.pressurer import RIVALS
from agents.state import Status
from model.model import PaxSilicaModel
from server import assets, charts, palette, plot

MODEL_CHARTS = (
    charts.membership_figure,
    charts.capital_figure,
    charts.supply_chain_figure,
    charts.network_figure,
    charts.map_figure,
)


@pytest.fixture(scope="module")
def eventful():
    """A run with pressure on members, defectors and the EU turned pressurer (seed 0 at
    four times the pressure), stopped at the first quarter with all three."""
    m = PaxSilicaModel("baseline", rng=0, n_investors=60, pressure_intensity=4.0)
    while m.running and not (m.defectors and m.eu_pressurer and charts.pressure_flows(m)):
        m.step()
    assert m.defectors and m.eu_pressurer and charts.pressure_flows(m), "the run changed"
    return m


@pytest.fixture(scope="module")
def start():
    return PaxSilicaModel("baseline", rng=0, n_investors=60)


def fonts(node, path=""):
    """Every font size in a figure, with where it is."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("font", "textfont", "tickfont") and isinstance(v, dict) and "size" in v:
                yield f"{path}.{k}", v["size"]
            yield from fonts(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from fonts(v, f"{path}[{i}]")


@pytest.mark.parametrize("make", MODEL_CHARTS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("when", ["start", "eventful"])
def test_each_chart_is_a_valid_plotly_figure_with_readable_text(make, when, request):
    m = request.getfixturevalue(when)
    fig = make(m)
    go.Figure(fig)  # raises on a property plotly.js does not know
    text = json.loads(plot.to_json(fig, "v"))  # as the browser gets it: plain JSON
    assert text["version"] == "v" and text["data"] == json.loads(json.dumps(fig["data"]))
    sizes = list(fonts(fig))
    assert fig["layout"]["font"]["size"] >= 12 and sizes
    small = [(where, s) for where, s in sizes if s < 12]
    assert not small, small
    assert fig["layout"]["title"]["text"]


def test_the_line_charts_are_the_models_series(eventful):
    m = eventful
    series = m.datacollector.model_vars
    lines = {t["name"]: t for t in charts.membership_figure(m)["data"]}
    assert lines["members (signatories)"]["y"] == series["members"]
    assert lines["defectors"]["y"] == series["defectors"]
    assert lines["US credibility (right axis)"]["yaxis"] == "y2"
    capital = {t["name"]: t for t in charts.capital_figure(m)["data"]}
    assert capital["stranded (written off)"]["y"] == series["capital_stranded"]
    # the hover of each point names its quarter
    assert lines["defectors"]["customdata"][1] == "2026 Q1"
    assert lines["defectors"]["customdata"][-1] == charts.when(m, m.steps)


def test_the_heat_map_holds_each_blocs_share_and_boxes_the_bottleneck(eventful):
    m = eventful
    fig = charts.supply_chain_figure(m)
    z = np.array(fig["data"][0]["z"])  # phases x blocs
    assert z.shape == (m.n_phases, len(charts.BLOCS))
    assert np.allclose(z.sum(axis=1), 100, atol=0.3)
    assert np.allclose(z, np.rint(charts.bloc_shares(m).T * 1000) / 10)
    (box,) = fig["layout"]["shapes"]
    assert (box["y0"] + box["y1"]) / 2 == m.bottleneck - 1


def test_network_arrows_are_this_quarters_pressure(eventful):
    m = eventful
    flows = charts.pressure_flows(m)
    fig = charts.network_figure(m)
    arrows = [a for a in fig["layout"]["annotations"] if a.get("showarrow")]
    assert len(arrows) == len(flows)
    top = max(u for *_, u in flows)
    biggest = max(arrows, key=lambda a: a["arrowwidth"])
    assert biggest["arrowwidth"] == pytest.approx(charts._width(top, top))
    named = {t["name"] for t in fig["data"]}
    assert {f"pressure from {charts.short_name(pid)}" for pid, *_ in flows} <= named


def test_one_palette_for_the_charts_and_the_map(eventful):
    m = eventful
    member = palette.STATUS_COLOR[Status.MEMBER]
    defected = palette.STATUS_COLOR[Status.DEFECTED]
    lines = {t["name"]: t for t in charts.membership_figure(m)["data"]}
    assert lines["members (signatories)"]["line"]["color"] == member
    assert lines["defectors"]["line"]["color"] == defected
    net = {t["name"]: t for t in charts.network_figure(m)["data"]}
    assert net[palette.STATUS_LABEL[Status.MEMBER]]["marker"]["color"] == member
    geo = charts.map_figure(m)["data"]
    fills = {t["name"]: t["colorscale"][0][1] for t in geo if t["type"] == "choropleth"}
    assert fills[palette.STATUS_LABEL[Status.MEMBER]] == member
    assert fills[palette.STATUS_LABEL[Status.DEFECTED]] == defected
    for t in geo:
        if t["type"] == "scattergeo" and t["mode"] == "lines":
            pid = t["legendgroup"].removeprefix("pressure-")
            assert t["line"]["color"] == palette.PRESSURE_COLOR[pid]


def test_the_map_shows_each_actor_in_its_role(eventful):
    m = eventful
    md = charts.map_data()
    geo = charts.map_figure(m)["data"]
    markers = {
        t["legendgroup"]: t["text"]
        for t in geo
        if t["type"] == "scattergeo" and t["mode"] == "markers"
    }
    shown = {r: set(codes) for r, codes in markers.items()}
    assert shown["member"] == set(m.member_ids()) - {"EUR"}
    assert shown["defected"] == {s.code for s in m.states if s.status == Status.DEFECTED}
    assert shown["pressurer"] == set(RIVALS) | {"EUR"}  # the EU has turned
    drawn = [c for codes in markers.values() for c in codes]
    assert sorted(drawn) == sorted(s.code for s in m.states)  # everyone, once
    usa = next(t for t in geo if t.get("text") and "USA" in t["text"])
    k = usa["text"].index("USA")
    assert (usa["lat"][k], usa["lon"][k]) == md.position["USA"]
    fills = {t["legendgroup"]: set(t["locations"]) for t in geo if t["type"] == "choropleth"}
    assert set(md.areas["EUR"]) - md.small <= fills["pressurer"]
    assert "SGP" not in set().union(*fills.values())  # a marker only: too small to fill
    lines = [t for t in geo if t["type"] == "scattergeo" and t["mode"] == "lines"]
    assert len(lines) == len(charts.pressure_flows(m))
    for (pid, target, _), line in zip(charts.pressure_flows(m), lines, strict=True):
        assert line["lat"] == [md.position[pid][0], md.position[target][0]]


def test_every_country_on_the_map_is_in_the_shipped_geometry(start):
    """The map's codes are those of the geometry in the asset cache (built from npm); the
    countries listed as too small are indeed not in it, and every actor has a marker."""
    target = assets.asset_dir()
    if assets.GEOMETRY in assets.missing(target):
        pytest.skip(f"the asset cache has no {assets.GEOMETRY}: uv run pax-silica assets")
    path = target / assets.geometry_dir() / "world_110m.json"
    topo = json.loads(path.read_text(encoding="utf-8"))
    countries = {g.get("id") for g in topo["objects"]["countries"]["geometries"]}
    fig = charts.map_figure(start)
    codes = {c for t in fig["data"] for c in t.get("locations", [])}
    assert codes and codes <= countries, codes - countries
    md = charts.map_data()
    assert not md.small & countries
    assert {s.code for s in start.states} <= set(md.position)
    assert fig["layout"]["geo"]["resolution"] == 110


def test_the_survival_curve_is_the_share_still_standing():
    surv = np.array([1.0, 1.0, 0.75, 0.5, 0.5])
    fig = charts.survival_figure(np.arange(5), surv, 2026, "t")
    go.Figure(fig)
    assert fig["data"][0]["y"] == [100.0, 100.0, 75.0, 50.0, 50.0]
    assert fig["data"][0]["customdata"][1] == "2026 Q1"
