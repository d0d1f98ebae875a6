"""The app's charts: matplotlib figures drawn from a model's state, no Solara.

Figures are made with ``matplotlib.figure.Figure`` (not pyplot), so several browser
sessions can draw at once from their own threads. Each chart has a title, axis labels
with units and a legend, so a newcomer can read it without the info panel.
"""

from __future__ import annotations

import io
import math
from functools import cache

import networkx as nx
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from agents.pressurer import PRESSURERS
from agents.state import Status
from model import metrics
from model.model import PaxSilicaModel
from model.wording import short_name
from model.world import CHINA

DPI = 100
STATUS_COLOR = {
    Status.MEMBER: "#1f5fbf",
    Status.PARTICIPANT: "#7fb8e6",
    Status.DEFECTED: "#d62728",
    Status.OUTSIDE: "#c7c7c7",
}
STATUS_LABEL = {
    Status.MEMBER: "signatory (member)",
    Status.PARTICIPANT: "participant (not signed)",
    Status.DEFECTED: "defected",
    Status.OUTSIDE: "outside the alliance",
}
PRESSURE_COLOR = {"CHN": "#c0392b", "RUS": "#8e5a2b", "BRA": "#2e8b57", "EUR": "#7d3c98"}
REGION_ORDER = ("Americas", "Europe", "Middle East", "Indo-Pacific")
BLOCS = ("Signatories", "Participants", "China", "Others")


def _series(m: PaxSilicaModel, key: str) -> list:
    return m.datacollector.model_vars[key]


def _time_axis(ax, m: PaxSilicaModel) -> None:
    """Quarters on the x axis, labelled by year; the whole horizon from the start, so
    the lines grow across a fixed frame as the run goes on."""
    horizon = int(m.p["steps"])
    years = range(0, horizon + 1, 4 if horizon <= 48 else 8)
    ax.set_xlim(0, max(horizon, m.steps))
    ax.set_xticks(list(years))
    ax.set_xticklabels([str(m.p["start_year"] + q // 4) for q in years], fontsize=8)
    ax.set_xlabel("year (one step = one quarter)", fontsize=8)
    ax.grid(alpha=0.25)
    if m.steps < horizon:
        ax.axvspan(m.steps, horizon, color="#f4f4f4", zorder=0)
    if m.collapsed:
        ax.axvline(m.collapse_quarter, color="black", linestyle=":", linewidth=1.2)
        ax.annotate(
            " collapse",
            (m.collapse_quarter, 1.0),
            xycoords=("data", "axes fraction"),
            va="top",
            fontsize=8,
        )


def _now(ax, q: list, y: list, color: str) -> None:
    """A dot on the current quarter's value, so a line of one point is visible too."""
    ax.plot(q[-1:], y[-1:], "o", color=color, markersize=4.5)


def _legend_below(fig: Figure, ax, ax2) -> None:
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    fig.legend(
        h1 + h2,
        l1 + l2,
        fontsize=7.5,
        loc="lower center",
        ncols=2,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )


def _line_figure() -> Figure:
    # fixed margins, not a layout engine: it halves the drawing time of a line chart
    fig = Figure(figsize=(6.0, 3.5), dpi=DPI)
    fig.subplots_adjust(left=0.095, right=0.88, top=0.92, bottom=0.25)
    return fig


def membership_figure(m: PaxSilicaModel) -> Figure:
    """Members, participants and defectors (count of states) and US credibility (0-1)."""
    fig = _line_figure()
    ax = fig.add_subplot()
    q = _series(m, "quarter")
    ax.step(
        q,
        _series(m, "members"),
        where="post",
        color=STATUS_COLOR[Status.MEMBER],
        lw=2,
        label="members (signatories)",
    )
    ax.step(
        q,
        _series(m, "participants"),
        where="post",
        color=STATUS_COLOR[Status.PARTICIPANT],
        lw=2,
        label="participants",
    )
    ax.step(
        q,
        _series(m, "defectors"),
        where="post",
        color=STATUS_COLOR[Status.DEFECTED],
        lw=2,
        label="defectors",
    )
    for key, st in (
        ("members", Status.MEMBER),
        ("participants", Status.PARTICIPANT),
        ("defectors", Status.DEFECTED),
    ):
        _now(ax, q, _series(m, key), STATUS_COLOR[st])
    ax.set_ylim(0, max(16, max(_series(m, "members")) + 2))
    ax.set_ylabel("number of states", fontsize=9)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of states: whole numbers
    _time_axis(ax, m)
    ax2 = ax.twinx()
    ax2.plot(
        q,
        _series(m, "credibility"),
        color="#6a3d9a",
        lw=1.8,
        ls="--",
        label="US credibility (right axis)",
    )
    _now(ax2, q, _series(m, "credibility"), "#6a3d9a")
    ax2.set_ylim(0, 1.02)
    ax2.set_ylabel("US credibility (0-1)", fontsize=9, color="#6a3d9a")
    _legend_below(fig, ax, ax2)
    ax.set_title("Who is in the alliance, and how credible US promises look", fontsize=10)
    return fig


def capital_figure(m: PaxSilicaModel) -> Figure:
    """Investors' capital (US$bn) and the price index of critical refined inputs."""
    fig = _line_figure()
    ax = fig.add_subplot()
    q = _series(m, "quarter")
    for key, label, color in (
        ("capital_committed", "committed (building or built)", "#1b9e77"),
        ("capital_pipeline", "in the pipeline (being built)", "#66a61e"),
        ("capital_stranded", "stranded (written off)", "#e7298a"),
    ):
        ax.plot(q, _series(m, key), color=color, lw=2, label=label)
        _now(ax, q, _series(m, key), color)
    ax.set_ylabel("private capital, US$bn", fontsize=9)
    top = max(
        max(_series(m, k)) for k in ("capital_committed", "capital_pipeline", "capital_stranded")
    )
    ax.set_ylim(0, max(50.0, top * 1.1))
    _time_axis(ax, m)
    ax2 = ax.twinx()
    ax2.plot(
        q,
        _series(m, "price_index"),
        color="#d95f02",
        lw=1.8,
        ls="--",
        label="input price index (right axis)",
    )
    _now(ax2, q, _series(m, "price_index"), "#d95f02")
    top = max(2.0, max(_series(m, "price_index")) * 1.1)
    ax2.set_ylim(0, top)
    ax2.axhline(1.0, color="#d95f02", lw=0.6, alpha=0.5)
    ax2.set_ylabel("price index (2025 = 1)", fontsize=9, color="#d95f02")
    _legend_below(fig, ax, ax2)
    ax.set_title("Investor capital, and prices of critical refined inputs", fontsize=10)
    return fig


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


def supply_chain_figure(m: PaxSilicaModel) -> Figure:
    """Heat map of the phases by bloc, the bottleneck marked."""
    data = bloc_shares(m) * 100
    phases = m.world.phases
    fig = Figure(figsize=(12.2, 3.6), dpi=DPI)
    fig.subplots_adjust(left=0.125, right=0.93, top=0.8, bottom=0.17)
    ax = fig.add_subplot()
    im = ax.imshow(data, cmap="Blues", vmin=0, vmax=100, aspect="auto")
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = data[i, j]
            ax.text(
                j,
                i,
                f"{v:.0f}",
                ha="center",
                va="center",
                fontsize=8.5,
                color="white" if v > 55 else "black",
            )
    ax.set_xticks(range(len(phases)))
    ax.set_xticklabels(
        [f"{p.id}\n{p.short.replace('. ', '.').replace(' ', chr(10))}" for p in phases],
        fontsize=8.5,
    )
    ax.set_yticks(range(len(BLOCS)))
    labels = [
        f"Signatories ({m.members})",
        f"Participants ({m.participants})",
        "China",
        "Others (rest of world)",
    ]
    ax.set_yticklabels(labels, fontsize=8.5)
    ax.tick_params(length=0)
    b = m.bottleneck - 1
    ax.add_patch(
        Rectangle(
            (b - 0.5, -0.5), 1, data.shape[0], fill=False, ec="#d62728", lw=2.5, clip_on=False
        )
    )
    ax.annotate(
        "bottleneck",
        (b, -0.52),
        ha="center",
        va="bottom",
        fontsize=8.5,
        color="#d62728",
        fontweight="bold",
        annotation_clip=False,
    )
    cb = fig.colorbar(im, cax=fig.add_axes((0.94, 0.17, 0.01, 0.63)))
    cb.set_label("% of world capacity", fontsize=8)
    cb.ax.tick_params(labelsize=7)
    ax.set_title(
        f"Supply chain: each bloc's share of world capacity in the {len(phases)} phases, mining "
        "to final assembly (%; each column sums to 100)\n"
        f"Red box: the bottleneck, phase {b + 1} ({phases[b].name}), where the "
        "signatories can meet the smallest part of their own demand",
        fontsize=9.5,
        pad=16,
    )
    return fig


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


def network_key(m: PaxSilicaModel) -> tuple:
    """What the network shows; it is redrawn only when this changes."""
    return (
        tuple(s.status for s in m.states),
        tuple(
            sorted(
                (pid, s.code, round(u, 2))
                for s in m.states
                for pid, u in s.pressure_received.items()
                if u > 0
            )
        ),
    )


def network_figure(m: PaxSilicaModel) -> Figure:
    """States coloured by status; same-region ties as grey lines; this quarter's pressure
    as arrows from pressurer to target, width by pressure units."""
    g = m.ties
    nodes = tuple((n, d.get("region", "")) for n, d in g.nodes(data=True))
    pos = _layout(nodes)
    fig = Figure(figsize=(6.0, 5.4), dpi=DPI)
    ax = fig.add_axes((0.0, 0.13, 1.0, 0.8))
    ax.set_aspect("equal")
    ax.axis("off")
    ties = [(a, b) for a, b, d in g.edges(data=True) if d.get("weight", 0) >= 1.0]
    nx.draw_networkx_edges(g, pos, edgelist=ties, ax=ax, edge_color="#bbbbbb", width=0.7, alpha=0.7)
    status = {s.code: s.status for s in m.states}
    for st in (Status.MEMBER, Status.PARTICIPANT, Status.DEFECTED, Status.OUTSIDE):
        ns = [n for n in g.nodes if status.get(n) == st]
        nx.draw_networkx_nodes(
            g,
            pos,
            nodelist=ns,
            ax=ax,
            node_color=STATUS_COLOR[st],
            node_size=[620 if n == m.leader.code else 380 for n in ns],
            edgecolors="black",
            linewidths=[2.2 if n == m.leader.code else 0.6 for n in ns],
            label=STATUS_LABEL[st],
        )
    dark = {n for n in g.nodes if status.get(n) == Status.MEMBER}
    nx.draw_networkx_labels(
        g,
        pos,
        labels={n: n for n in g.nodes if n in dark},
        ax=ax,
        font_size=7,
        font_color="white",
        font_weight="bold",
    )
    nx.draw_networkx_labels(
        g,
        pos,
        labels={n: n for n in g.nodes if n not in dark},
        ax=ax,
        font_size=7,
        font_color="black",
    )
    flows = [(pid, s.code, u) for s in m.states for pid, u in s.pressure_received.items() if u > 0]
    top = max((u for *_, u in flows), default=1.0)
    d = nx.DiGraph()
    d.add_nodes_from(g.nodes)
    for pid in PRESSURERS:
        edges = [(a, b) for a, b, _ in flows if a == pid]
        if not edges:
            continue
        widths = [0.8 + 4.2 * u / top for a, _, u in flows if a == pid]
        nx.draw_networkx_edges(
            d,
            pos,
            edgelist=edges,
            ax=ax,
            width=widths,
            edge_color=PRESSURE_COLOR[pid],
            arrows=True,
            arrowsize=14,
            arrowstyle="-|>",
            node_size=450,
            alpha=0.85,
            connectionstyle="arc3,rad=0.08",
        )
    for region, ang in zip(REGION_ORDER, _region_angles(pos, g), strict=False):
        if ang is None:
            continue
        ax.text(
            1.3 * math.cos(ang),
            1.22 * math.sin(ang),
            region,
            ha="center",
            va="center",
            fontsize=8,
            color="#555555",
            style="italic",
        )
    from matplotlib.lines import Line2D

    handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            markerfacecolor=STATUS_COLOR[st],
            markeredgecolor="black",
            markersize=8,
            label=STATUS_LABEL[st],
        )
        for st in (Status.MEMBER, Status.PARTICIPANT, Status.DEFECTED, Status.OUTSIDE)
    ]
    handles.append(
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            markerfacecolor=STATUS_COLOR[Status.MEMBER],
            markeredgecolor="black",
            markeredgewidth=2.2,
            markersize=10,
            label="USA (leader)",
        )
    )
    for pid in PRESSURERS:
        if any(a == pid for a, *_ in flows):
            handles.append(
                Line2D(
                    [],
                    [],
                    color=PRESSURE_COLOR[pid],
                    lw=2.5,
                    label=f"pressure from {short_name(pid)}",
                )
            )
    handles.append(Line2D([], [], color="#bbbbbb", lw=1, label="tie (same region)"))
    fig.legend(
        handles=handles,
        fontsize=7,
        loc="lower center",
        ncols=3,
        bbox_to_anchor=(0.5, 0.0),
        frameon=False,
    )
    total = sum(u for *_, u in flows)
    what = (
        f"{len(flows)} pressure flow{'s' if len(flows) != 1 else ''}, {total:.1f} units "
        f"(arrow width = units)"
        if flows
        else "no pressure this quarter"
    )
    ax.set_title(f"States, and this quarter's pressure on members\n{what}", fontsize=9.5)
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.3, 1.4)
    return fig


def _region_angles(pos, g) -> list[float | None]:
    out = []
    for region in REGION_ORDER:
        pts = [
            pos[n]
            for n, d in g.nodes(data=True)
            if d.get("region") == region and n not in PRESSURERS
        ]
        if not pts:
            out.append(None)
            continue
        x, y = np.mean(pts, axis=0)
        out.append(math.atan2(y, x))
    return out


def survival_figure(times: np.ndarray, survival: np.ndarray, start_year: int, title: str) -> Figure:
    """Share of replications with the alliance still standing, quarter by quarter."""
    fig = Figure(figsize=(7.5, 3.6), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    ax.step(
        times,
        survival * 100,
        where="post",
        color="#1f5fbf",
        lw=2.2,
        label="alliance still standing",
    )
    ax.fill_between(times, survival * 100, step="post", color="#1f5fbf", alpha=0.12)
    ax.set_ylim(0, 102)
    horizon = int(times[-1])
    ax.set_xlim(0, horizon)
    years = range(0, horizon + 1, 4 if horizon <= 48 else 8)
    ax.set_xticks(list(years))
    ax.set_xticklabels([str(start_year + q // 4) for q in years], fontsize=8)
    ax.set_xlabel("year (one step = one quarter)", fontsize=8.5)
    ax.set_ylabel("% of runs with the alliance standing", fontsize=8.5)
    ax.axhline(50, color="grey", lw=0.7, ls=":")
    ax.grid(alpha=0.25)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(title, fontsize=9.5)
    return fig


def png(fig: Figure) -> bytes:
    """A figure as PNG bytes, as the app's pages show it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
