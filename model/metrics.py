"""Supply-chain metrics: small pure functions over a capacity matrix.

Every function takes capacity (actors x phases, any units) or shares derived from it, and
boolean actor masks for the blocs; each rule is applied to every phase alike, with its
threshold passed in (the defaults live in ``data/parameters.toml``). Which basis a rule
uses is part of its definition: advantage, coverage and self-sufficiency use *volume*
(market power and supply); leadership and control use the *frontier* segment, because the
paper's "the Netherlands dominates equipment" is a claim about EUV, not tool revenue.
"""

from __future__ import annotations

import numpy as np


def shares(capacity: np.ndarray) -> np.ndarray:
    """Each actor's share of each phase: capacity over the phase's world total."""
    totals = capacity.sum(axis=0)
    if totals.min() > 0:  # every phase has capacity somewhere (the usual case)
        return capacity / totals
    return np.divide(capacity, totals, out=np.zeros_like(capacity, dtype=float), where=totals > 0)


def bloc_share(share: np.ndarray, bloc: np.ndarray) -> np.ndarray:
    """A bloc's share of each phase: the sum of its members' shares.

    ``bloc`` is one actor mask, or several stacked (blocs x actors), which gives one row
    per bloc (used to weigh several candidate blocs at once). Either way the shares are
    added in actor order, so a stacked bloc's row equals its own result exactly. The
    rules below accept stacked blocs too."""
    if bloc.ndim == 2:
        return (share[None, :, :] * bloc[:, :, None]).sum(axis=1)
    return share.compress(bloc, axis=0).sum(axis=0)  # the bloc's rows (``share[bloc]``)


def covered(
    share: np.ndarray, members: np.ndarray, threshold: float, held: np.ndarray | None = None
) -> np.ndarray:
    """Phases the members could supply themselves: joint share at least ``threshold``.
    ``held``: ``bloc_share(share, members)`` if already computed (here and below)."""
    held = bloc_share(share, members) if held is None else held
    return held >= threshold


def contributors(share: np.ndarray, members: np.ndarray, threshold: float) -> np.ndarray:
    """Which member holds at least ``threshold`` of which phase (actors x phases, bool).

    Contributing means holding capacity: a zero share never counts, even at threshold 0.
    """
    return (share >= threshold) & (share > 0) & members[:, None]


def leading_share(share: np.ndarray, bloc: np.ndarray) -> np.ndarray:
    """The largest single share held by any actor of ``bloc`` in each phase (0 for an
    empty bloc; shares are never negative). Stacked blocs give one row per bloc."""
    if bloc.ndim == 2:
        return np.where(bloc[:, :, None], share[None, :, :], 0.0).max(axis=1)
    if not bloc.any():
        return np.zeros(share.shape[1])
    return share.compress(bloc, axis=0).max(axis=0)


def china_advantage(share: np.ndarray, china: int, aligned: np.ndarray, ratio: float) -> np.ndarray:
    """True where China holds the advantage over the aligned bloc.

    Market power goes with the leading supplier: China has the advantage where its share
    is at least ``ratio`` times the largest single aligned producer's. (Summing a loose
    coalition's shares would treat rivals as one seller; they do not coordinate output.)
    """
    return share[china] >= ratio * leading_share(share, aligned)


def leader(share: np.ndarray, countable: np.ndarray) -> np.ndarray:
    """Index of the actor with the largest share in each phase (ties: first in data)."""
    masked = np.where(countable[:, None], share, -1.0)
    return masked.argmax(axis=0)


def controlled(
    share: np.ndarray, members: np.ndarray, margin: float, outsiders: np.ndarray | None = None
) -> np.ndarray:
    """Signatories control a phase when their joint share exceeds ``margin`` times the
    share of every single ``outsiders`` row: by default every row that is not a
    signatory, participants and rivals alike and the rest-of-world residual counted as
    one supplier (leaving it out let capacity moved out of sight hand over control)."""
    others = ~members if outsiders is None else outsiders
    return bloc_share(share, members) > margin * leading_share(share, others)


def self_sufficiency(
    share: np.ndarray, bloc: np.ndarray, demand_share: float, held: np.ndarray | None = None
) -> np.ndarray:
    """How much of its own demand the bloc can meet in each phase, capped at 1."""
    held = bloc_share(share, bloc) if held is None else held
    return np.minimum(1.0, held / demand_share)


def supply_security(share: np.ndarray, bloc: np.ndarray, demand_share: float) -> float:
    """Leontief supply security: a chain delivers no more than its scarcest phase allows."""
    return float(self_sufficiency(share, bloc, demand_share).min())


def bottleneck(
    share: np.ndarray, bloc: np.ndarray, demand_share: float, held: np.ndarray | None = None
) -> int:
    """Index (0-based) of the phase with the lowest self-sufficiency: the binding one."""
    held = bloc_share(share, bloc) if held is None else held
    return int((held / demand_share).argmin())
