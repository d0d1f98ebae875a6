"""Words for numbers and outcomes, shared by the event log, the terminal and the app."""

from __future__ import annotations

from functools import cache

from model.world import load_world

WORDS = [
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]


def quarters_in_words(n: int) -> str:
    """ "one quarter", "three quarters", "14 quarters"."""
    word = WORDS[n] if n < len(WORDS) else str(n)
    return f"{word} quarter{'s' if n != 1 else ''}"


def fate(m, loud: bool = False, quarter: bool = False) -> str:
    """How the run of model ``m`` ended, in the one wording every page and report uses:
    "survived to 2035 Q4" or "collapsed in 2029 Q2". ``quarter`` adds the quarter's
    number ("collapsed in 2029 Q2 (quarter 14)"); ``loud`` capitalises the verb
    ("SURVIVED", "COLLAPSED"), as the terminal's stories headline it. A reason, if wanted,
    is the caller's to add (``m.collapse_reason``)."""
    if not m.collapsed:
        return f"{'SURVIVED' if loud else 'survived'} to {m.when(m.steps)}"
    text = f"{'COLLAPSED' if loud else 'collapsed'} in {m.when(m.collapse_quarter)}"
    return f"{text} (quarter {m.collapse_quarter})" if quarter else text


@cache
def _short_names() -> dict[str, str]:
    return {a.id: a.short_name for a in load_world().actors}


def short_name(actor_id: str) -> str:
    """An actor's name in running text ("the US", "the EU", "Japan"), from actors.csv;
    an unknown id is shown as itself."""
    return _short_names().get(actor_id, actor_id)
