"""Words for numbers and outcomes, shared by the event log, the terminal and the app."""

from __future__ import annotations

from collections.abc import Callable
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


def plural(n: int, noun: str, many: str | None = None) -> str:
    """ "1 member", "0 members", "3 defectors" (``many``: an irregular plural)."""
    return f"{n} {noun if n == 1 else (many or noun + 's')}"


def fate(m, loud: bool = False, quarter: bool = False) -> str:
    """How the run of model ``m`` ended, in the one wording every page and report uses:
    "survived to 2035 Q4" or "collapsed in 2029 Q2". ``quarter`` adds the quarter's
    number ("collapsed in 2029 Q2 (quarter 14)"); ``loud`` capitalises the verb
    ("SURVIVED", "COLLAPSED"), as the terminal's stories headline it. A reason, if wanted,
    is the caller's to add (``m.collapse_reason``)."""
    collapsed = m.collapse_quarter if m.collapsed else None
    return fate_of(collapsed, m.steps, m.when, loud=loud, quarter=quarter)


def fate_of(
    collapse_quarter: int | None,
    quarters_run: int,
    when: Callable[[int], str],
    loud: bool = False,
    quarter: bool = False,
) -> str:
    """:func:`fate` from a run's outcome: the quarter it collapsed in (None if it
    survived), how many quarters it ran, and the calendar (``when(q)``: "2029 Q2")."""
    if collapse_quarter is None:
        return f"{'SURVIVED' if loud else 'survived'} to {when(quarters_run)}"
    text = f"{'COLLAPSED' if loud else 'collapsed'} in {when(collapse_quarter)}"
    return f"{text} (quarter {collapse_quarter})" if quarter else text


@cache
def _short_names() -> dict[str, str]:
    return {a.id: a.short_name for a in load_world().actors}


def short_name(actor_id: str) -> str:
    """An actor's name in running text ("the US", "the EU", "Japan"), from actors.csv;
    an unknown id is shown as itself."""
    return _short_names().get(actor_id, actor_id)
