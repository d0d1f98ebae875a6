"""Running the model once: the one entry point the CLI, the app and sweeps share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from model.model import PaxSilicaModel
from model.scenario import Scenario, load_scenario


@dataclass
class RunResult:
    """One run: the quarterly series, the event log and the outcome."""

    series: pd.DataFrame
    events: pd.DataFrame
    outcome: dict
    model: PaxSilicaModel


def run_model(
    scenario: str | Scenario = "baseline",
    seed: int | None = 0,
    overrides: dict[str, Any] | None = None,
) -> RunResult:
    """Build and run a model to its horizon; return its series, events and outcome."""
    scen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    m = PaxSilicaModel(scen, rng=seed, **(overrides or {}))
    m.run()
    return RunResult(series=series_of(m), events=events_of(m), outcome=m.outcome(), model=m)


def series_of(m: PaxSilicaModel) -> pd.DataFrame:
    df = m.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    df.insert(1, "when", [m.when(int(q)) for q in df["quarter"]])
    return df


def events_of(m: PaxSilicaModel) -> pd.DataFrame:
    return pd.DataFrame(
        [e.__dict__ for e in m.events], columns=["quarter", "when", "kind", "actor", "text"]
    )
