"""The event log: what happened each quarter, who did it and why, in plain language."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from model.wording import quarters_in_words


class EventKind(StrEnum):
    """The kinds of line in the event log."""

    REVERSAL = "reversal"  # a US policy reversal
    INVITATION = "invitation"  # the US invites a state
    REFUSAL = "refusal"  # an invited state declines
    ACCESSION = "accession"  # a state signs (or a defector returns)
    DEFECTION = "defection"  # a member leaves
    EXPORT_CONTROL = "export_control"  # a scripted Chinese export control
    ESCALATION = "escalation"  # China escalates to export controls
    TRUCE = "truce"  # pressure and controls suspended
    EU_TURNS = "eu_turns"  # the EU turns to pressuring members
    COLLAPSE = "collapse"  # the alliance collapses


@dataclass(frozen=True)
class LogEvent:
    """One line of the event log: when, what, who, and why in plain language."""

    quarter: int
    when: str
    kind: EventKind
    actor: str
    text: str


def why_member_leaves(reason: str, pressurer: str | None, streak: int) -> str:
    """Why a member leaves, in words: its largest driver of grievance (``reason``) and,
    if pressure played a part, the pressurer whose (decayed) pressure hurt it most
    (``pressurer``, as an adjective) and how long it pressed (``streak`` quarters)."""
    if streak > 0 and reason == "pressure":
        return f"leaves after {quarters_in_words(streak)} of {pressurer} pressure"
    if streak > 0:
        return (
            f"leaves, worn down by {reason} after {quarters_in_words(streak)} of "
            f"{pressurer} pressure"
        )
    return f"leaves, worn down by {reason}"
