"""Running the model once: the one entry point the CLI, the app and sweeps share; and a
run's two tables written to disk and read back as one unit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from model.files import atomic_write_all
from model.model import PaxSilicaModel
from model.posterior import Posterior, posterior_overrides
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
    posterior: Posterior | None = None,
) -> RunResult:
    """Build and run a model to its horizon; return its series, events and outcome.
    ``posterior``: the run's uncertain parameters are drawn from it by ``seed``."""
    scen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    drawn = posterior_overrides(posterior, scen, 0 if seed is None else seed)
    m = PaxSilicaModel(scen, rng=seed, **{**drawn, **(overrides or {})})
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


# --- a run on disk ------------------------------------------------------------------------
# The series (FILE.parquet) and the event log (FILE.events.parquet) stay two ordinary
# files, so pandas, DuckDB or a spreadsheet read either directly. What ties them together
# is a stamp: a fresh run id in each file's Parquet metadata (key RUN_ID_KEY) or, for
# CSV, which has no metadata, in a last column ``run_id`` (an empty CSV event log has no
# row to carry it, and is taken as its series' own). ``read_run`` refuses a pair
# whose stamps differ, so a reader never takes one run's events for another's.
RUN_ID_KEY = b"pax_silica.run_id"
FORMATS = (".parquet", ".csv")


class MixedRunError(ValueError):
    """A series and an event log that were not written by the same run."""


def events_path(out: str | Path) -> Path:
    """Where the event log of a series written to ``out`` goes: FILE.events.<ext>."""
    out = Path(out)
    return out.with_name(out.stem + ".events" + out.suffix)


def write_run(r: RunResult, out: str | Path) -> str:
    """Write the series to ``out`` and the events beside it, stamped with one new run id
    (returned); both are written whole before either is put in place."""
    out = Path(out)
    run_id = uuid.uuid4().hex
    parquet = out.suffix.lower() == ".parquet"

    def writer(df: pd.DataFrame):
        if parquet:
            return lambda p: _write_parquet(df, p, run_id)
        return lambda p: df.assign(run_id=run_id).to_csv(p, index=False)

    atomic_write_all([(events_path(out), writer(r.events)), (out, writer(r.series))])
    return run_id


def read_run(out: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The series and events written by ``write_run`` and their run id; MixedRunError if
    the two files come from different runs (a writer killed between its two renames)."""
    out = Path(out)
    tables, ids = [], []
    for path in (out, events_path(out)):
        df, run_id = _read_stamped(path)
        tables.append(df)
        ids.append(run_id)
    if ids[1] == "" and ids[0]:  # an empty CSV event log has no row to carry the stamp
        ids[1] = ids[0]
    if ids[0] != ids[1] or not ids[0]:
        raise MixedRunError(
            f"{out} and {events_path(out)} were not written by the same run "
            f"(run ids {ids[0]} and {ids[1]}); write them again"
        )
    return tables[0], tables[1], ids[0]


def _write_parquet(df: pd.DataFrame, path: Path, run_id: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = {**(table.schema.metadata or {}), RUN_ID_KEY: run_id.encode()}
    pq.write_table(table.replace_schema_metadata(meta), path)


def _read_stamped(path: Path) -> tuple[pd.DataFrame, str | None]:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        run_id = (table.schema.metadata or {}).get(RUN_ID_KEY)
        return table.to_pandas(), run_id.decode() if run_id else None
    df = pd.read_csv(path, dtype={"run_id": str})
    if "run_id" not in df or df["run_id"].nunique() > 1:
        return df, None
    run_id = str(df["run_id"].iloc[0]) if len(df) else ""
    return df.drop(columns="run_id"), run_id
