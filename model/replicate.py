"""Replications: one scenario run once per seed, the loop the app's Replications tab,
``pax-silica report``, ``pax-silica play --compare`` and the sweep workers share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from model.model import PaxSilicaModel
from model.posterior import Posterior, posterior_overrides
from model.scenario import Scenario


def replicate(
    scenario: Scenario,
    seeds: Iterable[int],
    collect: bool = False,
    posterior: Posterior | None = None,
    **params: Any,
) -> Iterator[PaxSilicaModel]:
    """Run ``scenario`` (with the parameter overrides ``params``) to its horizon once per
    seed, in order, and yield each finished model.

    ``collect=False`` runs without the quarterly data collector: the outcome does not read
    it, and collecting costs about a fifth of a run, so ask for it only when a series (or
    the score, which is computed from the series) is wanted. Runs are made as they are
    consumed: stop iterating to stop running.

    ``posterior``: each run draws its uncertain parameters from it by its seed
    (``model.posterior.posterior_overrides``), under ``params``."""
    for seed in seeds:
        drawn = posterior_overrides(posterior, scenario, seed)
        m = PaxSilicaModel(scenario, rng=seed, collect=collect, **{**drawn, **params})
        m.run()
        yield m
