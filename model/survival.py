"""When the alliance counts as collapsed.

The alliance collapses when too few of its founding members remain
(``collapse_member_fraction`` of them), or when the leader's credibility and the capital
committed have both stayed below their floors for ``floor_quarters`` quarters in a row
(:func:`collapse_reason`). A collapse is final: the run may go on (or stop, with
``stop_at_collapse``), but the alliance does not come back.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.parameters import Parameters
from model.wording import quarters_in_words


@dataclass(frozen=True, slots=True)
class SurvivalParams(Parameters):
    """The collapse rule's thresholds (names as in parameters.toml)."""

    collapse_member_fraction: float
    credibility_floor: float
    capital_floor: float
    floor_quarters: int


def below_floors(credibility: float, commit_ratio: float, sp: SurvivalParams) -> bool:
    """Whether credibility and the share of capital committed are both below their
    floors this quarter."""
    return credibility < sp.credibility_floor and commit_ratio < sp.capital_floor


def floor_streak(streak: int, below: bool) -> int:
    """Quarters in a row below both floors: one more, or back to 0."""
    return streak + 1 if below else 0


def collapse_reason(founding: int, n_founding: int, streak: int, sp: SurvivalParams) -> str:
    """Why the alliance collapses this quarter, in words; "" while it stands."""
    if founding < sp.collapse_member_fraction * n_founding:
        return f"only {founding} of {n_founding} founding members remain"
    if streak >= sp.floor_quarters:
        return (
            "credibility and capital have stayed below their floors for "
            f"{quarters_in_words(streak)}"
        )
    return ""
