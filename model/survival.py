"""When the alliance counts as collapsed.

The alliance collapses when the founding members still in carry less than
``collapse_member_fraction`` of the founders' weight (each weighed by the phases it carries
and its economy, ``agents.state.member_weights``: losing Japan or South Korea counts for
far more than losing Greece), or when the leader's credibility and the capital
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


def collapse_reason(
    founding_share: float, streak: int, sp: SurvivalParams, founding: int, n_founding: int
) -> str:
    """Why the alliance collapses this quarter, in words; "" while it stands.

    ``founding_share``: the founders' weight still in (1 at the start); ``founding`` of
    ``n_founding`` founders remain (for the wording)."""
    if founding_share < sp.collapse_member_fraction - 1e-12:
        return (
            f"only {founding} of {n_founding} founding members remain, carrying "
            f"{founding_share:.0%} of the founders' weight"
        )
    if streak >= sp.floor_quarters:
        return (
            "credibility and capital have stayed below their floors for "
            f"{quarters_in_words(streak)}"
        )
    return ""
