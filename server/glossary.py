"""The app's glossary: the terms of ``docs/glossary.toml`` (abbreviations, units, what
credibility or a participant is), with the actors' codes and names from
``model/data/actors.csv`` and the supply-chain phases from ``model/data/phases.csv``
(through :func:`model.world.load_world`), so every code the app shows is defined in one
place of the data and nowhere in code."""

from __future__ import annotations

import functools
import html
import tomllib
from dataclasses import dataclass
from pathlib import Path

import solara

from model.world import load_world

GLOSSARY_PATH = Path(__file__).resolve().parent.parent / "docs" / "glossary.toml"
KIND = {"state": "", "rest": " (not an actor: the rest of the world in the data)"}


@dataclass(frozen=True)
class Entry:
    term: str
    group: str
    text: str


@functools.cache
def terms(path: Path = GLOSSARY_PATH) -> tuple[Entry, ...]:
    """The terms of the glossary file, in its order; each must have a term, a group and
    a text (a file that breaks this fails here, at the first look)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, t in enumerate(data.get("terms", [])):
        missing = [k for k in ("term", "group", "text") if not str(t.get(k, "")).strip()]
        if missing:
            raise ValueError(f"{path}: terms[{i}]: missing {', '.join(missing)}")
        out.append(Entry(t["term"].strip(), t["group"].strip(), " ".join(t["text"].split())))
    return tuple(out)


def actor_codes() -> list[tuple[str, str]]:
    """(code, name) of every actor of the data, in its order."""
    return [(a.id, a.name + KIND.get(a.kind, "")) for a in load_world().actors]


def phases() -> list[tuple[str, str]]:
    """(short name as the charts show it, "phase N: full name")."""
    return [(p.short, f"phase {p.id}: {p.name}") for p in load_world().phases]


def entries() -> list[Entry]:
    """Everything the Glossary tab lists: the terms, the actors' codes, the phases."""
    out = list(terms())
    out += [Entry(code, "Actors' codes", name) for code, name in actor_codes()]
    out += [Entry(short, "Supply-chain phases", name) for short, name in phases()]
    return out


def glossary_html() -> str:
    """The glossary as HTML: one definition list per group, in the order of first use."""
    groups: dict[str, list[Entry]] = {}
    for e in entries():
        groups.setdefault(e.group, []).append(e)
    parts = []
    for group, items in groups.items():
        rows = "".join(
            f"<dt id='gloss-{html.escape(e.term.replace(' ', '_'))}'>{html.escape(e.term)}</dt>"
            f"<dd>{html.escape(e.text)}</dd>"
            for e in items
        )
        parts.append(f"<h3>{html.escape(group)}</h3><dl class='pax-gloss-list'>{rows}</dl>")
    return "".join(parts)


CSS = """
.pax-glossary h3 { font-size: 1.05em; margin: 14px 0 4px 0; }
.pax-glossary dt { font-weight: bold; margin-top: 6px; }
.pax-glossary dd { margin: 0 0 4px 14px; font-size: 0.92em; color: #333; }
"""


@solara.component
def GlossaryView():
    """The Glossary tab."""
    solara.Style(CSS)
    text = solara.use_memo(glossary_html, [])
    solara.HTML(
        tag="p",
        unsafe_innerHTML=(
            "What the codes, abbreviations and units in the app mean. Each control's own "
            "description, unit and range is written under it in the panel on the left."
        ),
    )
    solara.HTML(tag="div", unsafe_innerHTML=text, classes=["pax-glossary"])
