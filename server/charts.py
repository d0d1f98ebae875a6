"""The app's charts: Plotly figures drawn from a model's state, no Solara.

Each function returns a plotly figure as JSON-ready ``{"data", "layout"}``; the page sends it to the
browser, where plotly.js draws it (:mod:`server.plot`), so a chart is as wide as its card,
shows each value on hover and its text is at least :data:`server.palette.TEXT_PX` px high.
Colours come from :mod:`server.palette`, the same in every chart and on the map. Each chart
has a title, axis titles with units and a legend, so a newcomer can read it without the
info panel.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from agents.pressurer import PRESSURERS, RIVALS
from agents.state import Status
from model import metrics
from model.model import PaxSilicaModel
from model.wording import short_name
from model.world import CHINA
from server import palette as pal
from server.palette import STATUS_COLOR, STATUS_LABEL, STATUS_ORDER

REGION_ORDER = ("Americas", "Europe", "Middle East", "Indo-Pacific")
BLOCS = ("Signatories", "Participants", "China", "Others")
MAP_AREAS = Path(__file__).resolve().parent / "data" / "map_areas.toml"
LINE_HEIGHT = 400  # px: a line chart's height (its width is its card's)


def _trace(kind: str, **props) -> dict:
    """A plotly.js trace as the JSON it is sent as (building ``plotly.graph_objects``
    validates each property: some 20 ms a chart, a tenth of a Step's budget)."""
    return {"type": kind, **props}


def _series(m: PaxSilicaModel, key: str) -> list:
    return m.datacollector.model_vars[key]


def when(m: PaxSilicaModel, q: int) -> str:
    """Quarter ``q`` of a run as a date: ``2026 Q1`` for quarter 1."""
    q0 = int(m.p["start_year"]) * 4 + q - 1
    return f"{q0 // 4} Q{q0 % 4 + 1}"


def _base_layout(title: str, height: int, **more) -> dict:
    text = {"size": pal.TEXT_PX}
    return {
        "title": {"text": title, "font": {"size": pal.TITLE_PX}, "x": 0.01, "xanchor": "left"},
        "font": {"family": pal.FONT, "size": pal.TEXT_PX, "color": "#222"},
        "height": height,
        "margin": {"l": 64, "r": 64, "t": 56, "b": 104},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"font": text},
        "legend": {
            "orientation": "h",
            "x": 0.5,
            "xanchor": "center",
            "y": -0.24,
            "yanchor": "top",
            "font": text,
        },
        "template": "none",
        **more,
    }


def _time_axis(m: PaxSilicaModel) -> tuple[dict, list[dict], list[dict]]:
    """Quarters on the x axis, labelled by year; the whole horizon from the start, so the
    lines grow across a fixed frame as the run goes on: (axis, shapes, annotations)."""
    horizon = int(m.p["steps"])
    years = list(range(0, horizon + 1, 4 if horizon <= 48 else 8))
    axis = {
        "range": [0, max(horizon, m.steps)],
        "tickvals": years,
        "ticktext": [str(m.p["start_year"] + q // 4) for q in years],
        "title": {"text": "year (one step = one quarter)"},
        "showgrid": True,
        "gridcolor": "#e6e6e6",
        "zeroline": False,
        "showline": True,
        "linecolor": "#888",
    }
    shapes, notes = [], []
    if m.steps < horizon:
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": m.steps,
                "x1": horizon,
                "y0": 0,
                "y1": 1,
                "fillcolor": pal.FUTURE,
                "line": {"width": 0},
                "layer": "below",
            }
        )
    if m.collapsed:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": m.collapse_quarter,
                "x1": m.collapse_quarter,
                "y0": 0,
                "y1": 1,
                "line": {"color": "black", "dash": "dot", "width": 1.5},
            }
        )
        notes.append(
            {
                "x": m.collapse_quarter,
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "text": " collapse",
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "top",
            }
        )
    return axis, shapes, notes


def _right_line(m, key: str, label: str, color: str) -> dict:
    """A second series on the right-hand axis: dashed, named so, two decimals on hover."""
    return _line(
        m, key, f"{label} (right axis)", color, "%{y:.2f}", line={"dash": "dash"}, yaxis="y2"
    )


def _line(m, key: str, label: str, color: str, value: str, **more) -> dict:
    """One series over the quarters so far, its value and date on hover."""
    y = _series(m, key)
    q = _series(m, "quarter")
    return _trace(
        "scatter",
        x=q,
        y=y,
        name=label,
        mode="lines",
        line={"color": color, "width": 2.5, **more.pop("line", {})},
        customdata=[when(m, k) if k else f"start ({m.p['start_year'] - 1} Q4)" for k in q],
        hovertemplate=f"{label}: {value}<br>%{{customdata}}<extra></extra>",
        **more,
    )


def _now(m, lines: list[dict]) -> list[dict]:
    """A dot on each line's current quarter, so a line of one point is visible too: one
    trace per y axis (a marker on every point, sized 0 but the last, draws slower)."""
    out = []
    for axis in ("y", "y2"):
        on = [t for t in lines if t.get("yaxis", "y") == axis]
        if on:
            out.append(
                _trace(
                    "scatter",
                    x=[t["x"][-1] for t in on],
                    y=[t["y"][-1] for t in on],
                    mode="markers",
                    marker={"size": 8, "color": [t["line"]["color"] for t in on]},
                    yaxis=axis,
                    showlegend=False,
                    hoverinfo="skip",
                    name="this quarter",
                )
            )
    return out


def _y_axis(title: str, top: float, color: str = "#222", **more) -> dict:
    return {
        "title": {"text": title, "font": {"color": color}},
        "range": [0, top],
        "showgrid": more.pop("showgrid", True),
        "gridcolor": "#e6e6e6",
        "zeroline": False,
        "showline": True,
        "linecolor": "#888",
        "rangemode": "tozero",
        **more,
    }


def state_ticks(top: float) -> int:
    """The step between ticks of a count of states: a whole number, some 5-9 ticks."""
    return max(1, math.ceil(top / 8))


def membership_figure(m: PaxSilicaModel) -> dict:
    """Members, participants and defectors (count of states) and US credibility (0-1)."""
    top = max(16, max(_series(m, "members")) + 2)
    x, shapes, notes = _time_axis(m)
    traces = [
        _line(m, key, label, STATUS_COLOR[st], "%{y}", line={"shape": "hv"})
        for key, label, st in (
            ("members", "members (signatories)", Status.MEMBER),
            ("participants", "participants", Status.PARTICIPANT),
            ("defectors", "defectors", Status.DEFECTED),
        )
    ]
    traces.append(_right_line(m, "credibility", "US credibility", pal.CREDIBILITY))
    traces += _now(m, traces)
    layout = _base_layout(
        "Who is in the alliance, and how credible US promises look",
        LINE_HEIGHT,
        xaxis=x,
        yaxis=_y_axis("number of states", top, dtick=state_ticks(top), tick0=0),
        yaxis2=_y_axis(
            "US credibility (0-1)",
            1.02,
            pal.CREDIBILITY,
            dtick=0.2,
            tickformat=".1f",
            overlaying="y",
            side="right",
            showgrid=False,
        ),
        shapes=shapes,
        annotations=notes,
    )
    return {"data": traces, "layout": layout}


def capital_figure(m: PaxSilicaModel) -> dict:
    """Investors' capital (US$bn) and the price index of critical refined inputs."""
    x, shapes, notes = _time_axis(m)
    traces = [
        _line(m, key, label, pal.CAPITAL[key], "US$%{y:.1f}bn")
        for key, label in (
            ("capital_committed", "committed (building or built)"),
            ("capital_pipeline", "in the pipeline (being built)"),
            ("capital_stranded", "stranded (written off)"),
        )
    ]
    traces.append(_right_line(m, "price_index", "input price index", pal.PRICE))
    traces += _now(m, traces)
    top = max(
        max(_series(m, k)) for k in ("capital_committed", "capital_pipeline", "capital_stranded")
    )
    price_top = max(2.0, max(_series(m, "price_index")) * 1.1)
    shapes.append(
        {
            "type": "line",
            "xref": "paper",
            "yref": "y2",
            "x0": 0,
            "x1": 1,
            "y0": 1.0,
            "y1": 1.0,
            "line": {"color": pal.PRICE, "width": 1},
            "opacity": 0.5,
        }
    )
    layout = _base_layout(
        "Investor capital, and prices of critical refined inputs",
        LINE_HEIGHT,
        xaxis=x,
        yaxis=_y_axis("private capital, US$bn", max(50.0, top * 1.1)),
        yaxis2=_y_axis(
            "price index (2025 = 1)",
            price_top,
            pal.PRICE,
            tickformat=".1f",
            overlaying="y",
            side="right",
            showgrid=False,
        ),
        shapes=shapes,
        annotations=notes,
    )
    return {"data": traces, "layout": layout}


def bloc_shares(m: PaxSilicaModel) -> np.ndarray:
    """Share of each phase's world capacity (volume) held by each bloc: rows BLOCS,
    columns the phases; each column sums to 1."""
    w = m.world
    share = metrics.shares(w.volume)
    sig = w.mask(m.member_ids())
    par = w.mask(m.participant_ids())
    chn = w.mask([CHINA])
    rows = [
        metrics.bloc_share(share, sig),
        metrics.bloc_share(share, par),
        metrics.bloc_share(share, chn),
    ]
    rows.append(1.0 - sum(rows))
    return np.clip(np.vstack(rows), 0.0, 1.0)


def supply_chain_key(m: PaxSilicaModel) -> tuple:
    """What the heat map shows; it is redrawn only when this changes."""
    return (
        tuple(np.rint(bloc_shares(m) * 100).astype(int).ravel()),
        m.bottleneck,
        m.members,
        m.participants,
    )


def supply_chain_figure(m: PaxSilicaModel) -> dict:
    """Heat map of the phases (rows, mining at the top) by bloc (columns), in % of world
    capacity, the bottleneck's row boxed. Phases as rows keep their names readable in a
    chart as narrow as a projector's page."""
    data = np.rint(bloc_shares(m) * 1000) / 10  # blocs x phases
    phases = m.world.phases
    blocs = [
        f"Signatories<br>({m.members})",
        f"Partici-<br>pants ({m.participants})",
        "China",
        "Others<br>(rest)",
    ]
    plain = [
        f"Signatories ({m.members})",
        f"Participants ({m.participants})",
        "China",
        "Others (rest of world)",
    ]
    rows = [f"{p.id}. {p.short}" for p in phases]
    heat = _trace(
        "heatmap",
        z=data.T.tolist(),
        x=list(range(len(blocs))),
        y=list(range(len(phases))),
        zmin=0,
        zmax=100,
        colorscale=pal.HEAT,
        texttemplate="%{z:.0f}",
        textfont={"size": pal.TEXT_PX},
        customdata=[[[p.name, b] for b in plain] for p in phases],
        hovertemplate="%{customdata[0]}<br>%{customdata[1]}: %{z:.1f}% of world capacity"
        "<extra></extra>",
        colorbar={
            "title": {"text": "% of world<br>capacity", "side": "top"},
            "thickness": 12,
            "x": 1.2,
        },
        xgap=1,
        ygap=1,
        name="share",
    )
    b = m.bottleneck - 1
    shapes = [
        {
            "type": "rect",
            "xref": "paper",
            "yref": "y",
            "x0": 0,
            "x1": 1,
            "y0": b - 0.5,
            "y1": b + 0.5,
            "line": {"color": pal.BOTTLENECK, "width": 3},
        }
    ]
    notes = [
        {
            "x": 1,
            "y": b,
            "xref": "paper",
            "yref": "y",
            "text": "<b>bottleneck</b>",
            "showarrow": False,
            "xanchor": "left",
            "font": {"color": pal.BOTTLENECK},
        }
    ]
    layout = _base_layout(
        "Supply chain: each bloc's share of world capacity<br>"
        f"in the {len(phases)} phases, mining to final assembly (%; each row sums to 100)<br>"
        f"<span style='font-size:{pal.TEXT_PX}px;color:{pal.BOTTLENECK}'>Red box: the "
        f"bottleneck, phase {b + 1} ({phases[b].name}),<br>where the signatories can meet "
        "the smallest part of their own demand</span>",
        30 * len(phases) + 170,
        xaxis={
            "tickvals": list(range(len(blocs))),
            "ticktext": blocs,
            "side": "top",
            "showgrid": False,
            "zeroline": False,
        },
        yaxis={
            "tickvals": list(range(len(phases))),
            "ticktext": rows,
            "autorange": "reversed",
            "showgrid": False,
            "zeroline": False,
        },
        margin={"l": 140, "r": 130, "t": 150, "b": 16},
        shapes=shapes,
        annotations=notes,
    )
    layout["title"]["y"] = 0.98
    layout["title"]["yanchor"] = "top"
    return {"data": [heat], "layout": layout}


@cache
def _layout(nodes: tuple[tuple[str, str], ...]) -> dict[str, tuple[float, float]]:
    """Fixed positions: states on a ring grouped by region (so same-region ties are short
    chords); the four pressurers inside the ring, next to their own region."""
    region = dict(nodes)
    inner = [c for c, _ in nodes if c in PRESSURERS]
    outer = sorted(
        (c for c, _ in nodes if c not in PRESSURERS),
        key=lambda c: (REGION_ORDER.index(region[c]) if region[c] in REGION_ORDER else 9, c),
    )
    pos = {}
    for i, c in enumerate(outer):
        a = math.pi / 2 - 2 * math.pi * i / len(outer)
        pos[c] = (math.cos(a), math.sin(a))
    by_region: dict[str, list[str]] = {}
    for c in inner:
        by_region.setdefault(region[c], []).append(c)
    for r, codes in by_region.items():
        ring = [pos[c] for c in outer if region[c] == r]
        centre = math.atan2(*reversed(np.mean(ring, axis=0))) if ring else 0.0
        for k, c in enumerate(codes):
            a = centre + 0.75 * (k - (len(codes) - 1) / 2)
            pos[c] = (0.45 * math.cos(a), 0.45 * math.sin(a))
    return pos


def pressure_flows(m: PaxSilicaModel) -> list[tuple[str, str, float]]:
    """This quarter's pressure: (pressurer, target, units), units > 0."""
    return [(pid, s.code, u) for s in m.states for pid, u in s.pressure_received.items() if u > 0]


def network_key(m: PaxSilicaModel) -> tuple:
    """What the network and the map show; they are redrawn only when this changes."""
    return (
        tuple(s.status for s in m.states),
        m.eu_pressurer,
        tuple(sorted((pid, code, round(u, 2)) for pid, code, u in pressure_flows(m))),
    )


def _pressure_text(m: PaxSilicaModel, code: str) -> str:
    got = [(pid, u) for s in m.states if s.code == code for pid, u in s.pressure_received.items()]
    got = [(pid, u) for pid, u in got if u > 0]
    if not got:
        return "no pressure this quarter"
    return "pressure this quarter: " + ", ".join(f"{short_name(p)} {u:.1f}" for p, u in got)


def _flows_title(flows) -> str:
    total = sum(u for *_, u in flows)
    return (
        f"{len(flows)} pressure flow{'s' if len(flows) != 1 else ''}, {total:.1f} units "
        "(line width = units)"
        if flows
        else "no pressure this quarter"
    )


def _width(u: float, top: float) -> float:
    return 1.0 + 5.0 * u / top


def network_figure(m: PaxSilicaModel) -> dict:
    """States coloured by status; same-region ties as grey lines; this quarter's pressure
    as arrows from pressurer to target, width by pressure units."""
    g = m.ties
    nodes = tuple((n, d.get("region", "")) for n, d in g.nodes(data=True))
    pos = _layout(nodes)
    status = {s.code: s.status for s in m.states}
    names = {n: d.get("name", n) for n, d in g.nodes(data=True)}
    tx, ty = [], []
    for a, b, d in g.edges(data=True):
        if d.get("weight", 0) >= 1.0:
            tx += [pos[a][0], pos[b][0], None]
            ty += [pos[a][1], pos[b][1], None]
    traces = [
        _trace(
            "scatter",
            x=tx,
            y=ty,
            mode="lines",
            line={"color": pal.TIE, "width": 1},
            name="tie (same region)",
            hoverinfo="skip",
        )
    ]
    for st in STATUS_ORDER:
        ns = [n for n in g.nodes if status.get(n) == st]
        traces.append(
            _trace(
                "scatter",
                x=[pos[n][0] for n in ns],
                y=[pos[n][1] for n in ns],
                mode="markers+text",
                text=ns,
                textposition="middle center",
                textfont={
                    "size": pal.TEXT_PX - 1,
                    "color": "white" if st == Status.MEMBER else "black",
                },
                marker={
                    "size": [34 if n == m.leader.code else 28 for n in ns],
                    "color": STATUS_COLOR[st],
                    "line": {
                        "color": "black",
                        "width": [3 if n == m.leader.code else 0.8 for n in ns],
                    },
                },
                name=STATUS_LABEL[st],
                customdata=[
                    [
                        names[n],
                        ("leader, " if n == m.leader.code else "") + STATUS_LABEL[st],
                        _pressure_text(m, n),
                    ]
                    for n in ns
                ],
                hovertemplate="<b>%{customdata[0]}</b> (%{text})<br>%{customdata[1]}<br>"
                "%{customdata[2]}<extra></extra>",
            )
        )
    traces.append(
        _trace(
            "scatter",
            x=[None],
            y=[None],
            mode="markers",
            marker={
                "size": 16,
                "color": STATUS_COLOR[Status.MEMBER],
                "line": {"color": "black", "width": 3},
            },
            name=f"{m.leader.code} (leader)",
        )
    )
    flows = pressure_flows(m)
    top = max((u for *_, u in flows), default=1.0)
    arrows = []
    for pid, target, u in flows:
        (x0, y0), (x1, y1) = pos[pid], pos[target]
        arrows.append(
            {
                "x": x1,
                "y": y1,
                "ax": x0,
                "ay": y0,
                "xref": "x",
                "yref": "y",
                "axref": "x",
                "ayref": "y",
                "showarrow": True,
                "arrowhead": 2,
                "arrowsize": 1.0,
                "arrowwidth": _width(u, top),
                "arrowcolor": pal.PRESSURE_COLOR[pid],
                "standoff": 15,
                "startstandoff": 12,
                "opacity": 0.85,
                "text": "",
                "hovertext": f"{short_name(pid)} on {names[target]}: {u:.1f} units",
            }
        )
    for pid in PRESSURERS:
        if any(a == pid for a, *_ in flows):
            traces.append(
                _trace(
                    "scatter",
                    x=[None],
                    y=[None],
                    mode="lines",
                    line={"color": pal.PRESSURE_COLOR[pid], "width": 3},
                    name=f"pressure from {short_name(pid)}",
                )
            )
    for region in REGION_ORDER:
        ring = [
            pos[n]
            for n, d in g.nodes(data=True)
            if d.get("region") == region and n not in PRESSURERS
        ]
        if not ring:
            continue
        x, y = np.mean(ring, axis=0)
        ang = math.atan2(y, x)
        arrows.append(
            {
                "x": 1.3 * math.cos(ang),
                "y": 1.22 * math.sin(ang),
                "xref": "x",
                "yref": "y",
                "text": f"<i>{region}</i>",
                "showarrow": False,
                "font": {"color": "#555"},
            }
        )
    hidden = {"visible": False, "fixedrange": True}
    layout = _base_layout(
        f"States, and this quarter's pressure on members<br>"
        f"<span style='font-size:{pal.TEXT_PX}px'>{_flows_title(flows)}</span>",
        560,
        xaxis={**hidden, "range": [-1.5, 1.5]},
        yaxis={**hidden, "range": [-1.3, 1.4], "scaleanchor": "x"},
        annotations=arrows,
        margin={"l": 10, "r": 10, "t": 64, "b": 10},
        hovermode="closest",
    )
    layout["legend"]["y"] = -0.02
    return {"data": traces, "layout": layout}


# --------------------------------------------------------------------- the map -------
@dataclass(frozen=True)
class MapData:
    """How the map draws the actors (server/data/map_areas.toml)."""

    areas: dict[str, tuple[str, ...]]  # actor -> the countries it covers, if not its own
    small: frozenset[str]  # countries not in the geometry: a marker only
    position: dict[str, tuple[float, float]]  # actor -> (lat, lon) of its marker

    def territory(self, code: str) -> tuple[str, ...]:
        return tuple(c for c in self.areas.get(code, (code,)) if c not in self.small)


@cache
def map_data() -> MapData:
    data = tomllib.loads(MAP_AREAS.read_text(encoding="utf-8"))
    return MapData(
        areas={k: tuple(v) for k, v in data["areas"].items()},
        small=frozenset(data["small"]["codes"]),
        position={k: (float(a), float(b)) for k, (a, b) in data["position"].items()},
    )


def map_role(m: PaxSilicaModel, code: str, st: Status) -> str:
    """What the map shows an actor as: its status, or ``pressurer`` (China, Russia,
    Brazil; the EU once it has turned pressurer)."""
    if code in RIVALS or (code == "EUR" and m.eu_pressurer):
        return "pressurer"
    return st.value


MAP_ROLES = ("member", "participant", "defected", "outside", "pressurer")
MAP_COLOR = {
    **{st.value: STATUS_COLOR[st] for st in STATUS_ORDER},
    "pressurer": pal.PRESSURER_FILL,
}
MAP_LABEL = {
    **{st.value: STATUS_LABEL[st] for st in STATUS_ORDER},
    "pressurer": "pressurer (China, Russia, Brazil; the EU once it turns)",
}


def map_figure(m: PaxSilicaModel) -> dict:
    """A world map of the alliance: each state's territory in the colour of its status
    (pressurers in their own), a marker on each (small states too) with its name on
    hover, and this quarter's pressure as lines from pressurer to target."""
    md = map_data()
    status = {s.code: s.status for s in m.states}
    names = {n: d.get("name", n) for n, d in m.ties.nodes(data=True)}
    role = {c: map_role(m, c, st) for c, st in status.items()}
    lat = {c: md.position[c][0] for c in status}
    lon = {c: md.position[c][1] for c in status}
    traces = []
    for r in MAP_ROLES:
        codes = [c for c in status if role[c] == r]
        locs = [(c, a) for c in codes for a in md.territory(c)]
        if not locs:
            continue
        traces.append(
            _trace(
                "choropleth",
                locations=[a for _, a in locs],
                z=[1] * len(locs),
                locationmode="ISO-3",
                colorscale=[[0, MAP_COLOR[r]], [1, MAP_COLOR[r]]],
                showscale=False,
                marker={"line": {"color": "white", "width": 0.5}},
                customdata=[[names[c], MAP_LABEL[r], _pressure_text(m, c)] for c, _ in locs],
                hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<br>"
                "%{customdata[2]}<extra></extra>",
                name=MAP_LABEL[r],
                legendgroup=r,
                showlegend=False,
            )
        )
    for r in MAP_ROLES:
        codes = [c for c in status if role[c] == r]
        if not codes:
            continue
        traces.append(
            _trace(
                "scattergeo",
                lat=[lat[c] for c in codes],
                lon=[lon[c] for c in codes],
                text=codes,
                mode="markers",
                marker={
                    "size": [12 if c == m.leader.code else 8 for c in codes],
                    "color": MAP_COLOR[r] if r != "pressurer" else "#c0392b",
                    "line": {"color": "black", "width": 1},
                    "symbol": "diamond" if r == "pressurer" else "circle",
                },
                customdata=[[names[c], MAP_LABEL[r], _pressure_text(m, c)] for c in codes],
                hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<br>"
                "%{customdata[2]}<extra></extra>",
                name=MAP_LABEL[r],
                legendgroup=r,
            )
        )
    flows = pressure_flows(m)
    top = max((u for *_, u in flows), default=1.0)
    shown = set()
    for pid, target, u in flows:
        traces.append(
            _trace(
                "scattergeo",
                lat=[lat[pid], lat[target]],
                lon=[lon[pid], lon[target]],
                mode="lines",
                line={"color": pal.PRESSURE_COLOR[pid], "width": _width(u, top)},
                opacity=0.85,
                name=f"pressure from {short_name(pid)}",
                legendgroup=f"pressure-{pid}",
                showlegend=pid not in shown,
                hovertemplate=f"{short_name(pid)} on {names[target]}: {u:.1f} units<extra></extra>",
            )
        )
        shown.add(pid)
    layout = _base_layout(
        "The alliance on the map, and this quarter's pressure<br>"
        f"<span style='font-size:{pal.TEXT_PX}px'>{_flows_title(flows)}</span>",
        440,
        geo={
            "projection": {"type": "natural earth"},
            "resolution": 110,
            "showcountries": True,
            "countrycolor": "white",
            "showland": True,
            "landcolor": "#ececec",
            "showocean": True,
            "oceancolor": "#f5f9fc",
            "showframe": False,
            "showcoastlines": False,
            "lataxis": {"range": [-48, 75]},
        },
        margin={"l": 0, "r": 0, "t": 64, "b": 0},
        hovermode="closest",
    )
    layout["legend"]["y"] = -0.02
    return {"data": traces, "layout": layout}


def survival_figure(times: np.ndarray, survival: np.ndarray, start_year: int, title: str) -> dict:
    """Share of replications with the alliance still standing, quarter by quarter."""
    horizon = int(times[-1])
    years = list(range(0, horizon + 1, 4 if horizon <= 48 else 8))
    q0 = [start_year * 4 + int(t) - 1 for t in times]
    line = _trace(
        "scatter",
        x=[int(t) for t in times],
        y=[float(v) * 100 for v in survival],
        mode="lines",
        line={"shape": "hv", "color": pal.SURVIVAL, "width": 2.5},
        fill="tozeroy",
        fillcolor="rgba(31,95,191,0.12)",
        name="alliance still standing",
        customdata=[f"{q // 4} Q{q % 4 + 1}" for q in q0],
        hovertemplate="%{y:.0f}% of runs standing<br>%{customdata}<extra></extra>",
    )
    layout = _base_layout(
        title,
        380,
        xaxis={
            "range": [0, horizon],
            "tickvals": years,
            "ticktext": [str(start_year + q // 4) for q in years],
            "title": {"text": "year (one step = one quarter)"},
            "showgrid": True,
            "gridcolor": "#e6e6e6",
            "showline": True,
            "linecolor": "#888",
        },
        yaxis=_y_axis("% of runs with the alliance standing", 102),
        shapes=[
            {
                "type": "line",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": 50,
                "y1": 50,
                "line": {"color": "grey", "dash": "dot", "width": 1},
            }
        ],
        showlegend=True,
    )
    return {"data": [line], "layout": layout}
