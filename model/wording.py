"""Words for numbers and outcomes, shared by the event log, the terminal and the app."""

from __future__ import annotations

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
