"""The catalogue of studies: every sweep, calibration, optimisation and report, listed.

A study is a folder a command wrote (``pax-silica sweep --out DIR``, ``calibrate --out``,
``report --out``, ``optimize --out``). The writer registers it here with
``register_study(kind, folder, manifest)`` when the study is written (a sweep: when it
starts, and again when it stops, so an interrupted sweep is listed as partial and a resumed
one as complete). The catalogue is one SQLite file (standard-library ``sqlite3``):
``--catalogue FILE`` if given, else ``PAX_SILICA_CATALOGUE``, else
``.pax-silica/catalogue.sqlite`` under the directory the command runs in. Each
registration is one transaction; registering a folder again updates its row (same id).

* ``pax-silica runs [--kind K] [--format table|csv|json]`` lists the studies: id, kind,
  created, scenario, runs, status (complete, partial, or missing when the folder is gone:
  shown, not an error) and folder.
* ``pax-silica query "SQL" [--study ID ...]`` runs one SELECT with DuckDB over the
  studies' data: view ``runs`` is every study's run rows with a ``study`` column first,
  ``series`` likewise (every quarter), ``posterior`` the calibrations' particles, each
  also per study (``runs_<id>``, ...), and ``studies`` is the catalogue itself. Studies
  whose columns differ (different varied parameters) are unioned by name: a column a study
  lacks is NULL in its rows. The query is read-only: one SELECT (or EXPLAIN), reading only
  the studies' folders.

A study's data is found by convention in its folder (``TABLES``): Parquet parts in
``runs/`` and ``series/`` (as a sweep writes them with ``write_part``), or one file
``runs.parquet`` / ``series.parquet``, or a report's ``replications.csv`` and
``series.csv``, or a calibration's ``posterior.csv``, or an optimisation's ``front.parquet``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shlex
import sqlite3
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.args import CliError

CATALOGUE_ENV = "PAX_SILICA_CATALOGUE"
DEFAULT_CATALOGUE = Path(".pax-silica") / "catalogue.sqlite"
KINDS = ("sweep", "calibration", "optimisation", "report")
_KIND_ALIASES = {
    "optimization": "optimisation",
    "optimize": "optimisation",
    "calibrate": "calibration",
}
FORMATS = ("table", "csv", "json")
# Each table of a study: the places its data may be, the first found is used.
TABLES = {
    "runs": ("runs/part-*.parquet", "runs.parquet", "replications.csv"),
    "series": ("series/part-*.parquet", "series.parquet", "series.csv"),
    "posterior": ("posterior.csv",),
    "front": ("front.parquet",),  # an optimisation's Pareto front
}
QUERY_STATEMENTS = ("SELECT", "EXPLAIN")
LISTED = ["id", "kind", "created", "scenario", "runs", "status", "folder"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS studies (
    id TEXT PRIMARY KEY,           -- folder name and a hash of its absolute path
    kind TEXT NOT NULL,            -- sweep, calibration, optimisation, report
    folder TEXT NOT NULL UNIQUE,   -- absolute path
    created TEXT NOT NULL,         -- first registered (UTC, ISO 8601)
    updated TEXT NOT NULL,         -- last registered
    command TEXT NOT NULL,         -- the command line that wrote it
    status TEXT NOT NULL,          -- complete or partial, when last registered
    manifest TEXT NOT NULL         -- JSON: the study's manifest
);
"""


def catalogue_path(path: str | Path | None = None) -> Path:
    """The catalogue file: ``path`` if given, else ``PAX_SILICA_CATALOGUE``, else
    ``.pax-silica/catalogue.sqlite`` under the current directory."""
    return Path(path or os.environ.get(CATALOGUE_ENV) or DEFAULT_CATALOGUE)


def study_id(folder: str | Path) -> str:
    """A short stable name for the study in ``folder``: its name in lower case letters,
    digits and underscores (so ``runs_<id>`` is an SQL name as it stands), and six hex
    digits of the hash of its resolved path (two folders of one name differ; one folder
    reached by two paths is one study)."""
    folder = Path(folder).resolve()
    name = re.sub(r"[^a-z0-9]+", "_", folder.name.lower()).strip("_") or "study"
    return f"{name}_{hashlib.sha256(str(folder).encode()).hexdigest()[:6]}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _connect(path: Path) -> sqlite3.Connection:
    if path.is_dir():
        raise sqlite3.OperationalError("is a folder, not a file")
    path.absolute().parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=10)
    with db:
        db.executescript(SCHEMA)
    return db


def _command(args: Any) -> str:
    argv = getattr(args, "argv", None)
    return "pax-silica " + shlex.join(argv if argv is not None else sys.argv[1:])


def register_study(
    kind: str,
    folder: str | Path,
    manifest: dict,
    args: Any = None,
    *,
    catalogue: str | Path | None = None,
) -> str | None:
    """Register (or update) the study written in ``folder``; return its id.

    ``kind``: one of ``KINDS``. ``manifest``: the study's provenance, as JSON-able data; its
    ``status`` ("complete" or anything else: partial) and, where known, ``runs_total`` are
    shown by ``pax-silica runs``. ``args``: the command's parsed arguments, for the command
    line (``args.argv``, set by ``experiments.cli.main``) and ``args.catalogue`` if given.
    The write is one transaction. A catalogue that cannot be written does not undo the
    study: it is one warning on stderr, and None."""
    kind = _KIND_ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    folder = Path(folder).resolve()
    path = catalogue_path(catalogue or getattr(args, "catalogue", None))
    sid, now = study_id(folder), _now()
    status = "complete" if manifest.get("status") == "complete" else "partial"
    row = (
        sid,
        kind,
        str(folder),
        now,
        now,
        _command(args),
        status,
        json.dumps(manifest, default=str),
    )
    try:
        db = _connect(path)
        try:
            with db:
                db.execute(
                    "INSERT INTO studies VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO "
                    "UPDATE SET kind = excluded.kind, updated = excluded.updated, "
                    "command = excluded.command, status = excluded.status, "
                    "manifest = excluded.manifest",
                    row,
                )
        finally:
            db.close()
    except (OSError, sqlite3.Error) as e:
        print(
            f"warning: catalogue {path}: {e}; the study in {folder} is not listed "
            f"(set {CATALOGUE_ENV} to a writable file)",
            file=sys.stderr,
        )
        return None
    return sid


# --------------------------------------------------------------------- reading -------
@dataclass
class Study:
    id: str
    kind: str
    folder: Path
    created: str
    updated: str
    command: str
    registered_status: str
    manifest: dict

    @property
    def missing(self) -> bool:
        return not self.folder.is_dir()

    @property
    def status(self) -> str:
        """complete, partial, or missing (its folder is gone). A folder's own manifest, if
        it keeps one (a sweep's ``manifest.json``), says how far it got now."""
        if self.missing:
            return "missing"
        own = self.folder / "manifest.json"
        try:
            status = json.loads(own.read_text(encoding="utf-8")).get("status")
        except (OSError, ValueError, AttributeError):
            return self.registered_status
        return "complete" if status == "complete" else "partial"

    @property
    def scenario(self) -> str:
        s = self.manifest.get("scenario")
        if isinstance(s, dict):
            return str(s.get("name") or s.get("ref") or "")
        return str(s or "")

    def files(self, table: str) -> list[Path]:
        """The files of ``table`` in this study's folder (none if it has no such data)."""
        if self.missing:
            return []
        for pattern in TABLES[table]:
            found = sorted(self.folder.glob(pattern))
            if table == "series" and pattern.startswith("series/"):
                # as load_series: a series part counts once its runs part is written
                runs = {p.name for p in self.folder.glob("runs/part-*.parquet")}
                found = [p for p in found if p.name in runs]
            if found:
                return found
        return []

    def runs(self) -> int | None:
        """How many runs it holds: its rows in ``runs`` (None if it has none)."""
        files = self.files("runs")
        if not files:
            return None
        if self.status == "complete" and isinstance(self.manifest.get("runs_total"), int):
            return self.manifest["runs_total"]
        if files[0].suffix == ".csv":
            with files[0].open("rb") as f:
                return max(sum(1 for _ in f) - 1, 0)
        import pyarrow.parquet as pq

        return sum(pq.read_metadata(p).num_rows for p in files)

    def row(self) -> dict[str, Any]:
        n, total = self.runs(), self.manifest.get("runs_total")
        shown = "" if n is None else f"{n}" if total in (None, n) else f"{n}/{total}"
        return {
            "id": self.id,
            "kind": self.kind,
            "created": self.created,
            "scenario": self.scenario,
            "runs": shown,
            "status": self.status,
            "folder": str(self.folder),
        }


def studies(catalogue: str | Path | None = None, kind: str | None = None) -> list[Study]:
    """The studies registered in the catalogue, oldest first (none if it does not exist)."""
    path = catalogue_path(catalogue)
    if not path.exists():
        return []
    try:
        db = sqlite3.connect(f"file:{path.absolute()}?mode=ro", uri=True, timeout=10)
        try:
            rows = db.execute(
                "SELECT id, kind, folder, created, updated, command, status, manifest "
                "FROM studies ORDER BY created, id"
            ).fetchall()
        finally:
            db.close()
    except sqlite3.Error as e:
        raise CliError(
            f"--catalogue: {path} is not a readable catalogue ({e}); expected the SQLite file "
            "the studies are registered in"
        ) from None
    out = []
    for sid, k, folder, created, updated, command, status, manifest in rows:
        if kind is not None and k != kind:
            continue
        try:
            m = json.loads(manifest)
        except ValueError:
            m = {}
        out.append(Study(sid, k, Path(folder), created, updated, command, status, m))
    return out


# --------------------------------------------------------------------- queries -------
def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _source(study: Study, files: list[Path]) -> str:
    listed = "[" + ", ".join(_literal(str(p)) for p in files) + "]"
    if files[0].suffix == ".csv":
        read = f"read_csv({listed}, union_by_name = true)"
    else:
        read = f"read_parquet({listed}, union_by_name = true)"
    return f"SELECT {_literal(study.id)} AS study, * FROM {read}"


def connect(chosen: list[Study], everyone: list[Study]):
    """A DuckDB connection with the views over ``chosen`` studies' data and the table
    ``studies`` (every study), then locked: files outside the studies' folders cannot be
    read, and the configuration cannot be changed."""
    import duckdb

    con = duckdb.connect(
        ":memory:",
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    listing = pd.DataFrame(
        [
            {
                "id": s.id,
                "kind": s.kind,
                "created": s.created,
                "updated": s.updated,
                "scenario": s.scenario,
                "runs": s.runs(),
                "runs_total": s.manifest.get("runs_total"),
                "status": s.status,
                "folder": str(s.folder),
                "command": s.command,
                "manifest": json.dumps(s.manifest),
            }
            for s in everyone
        ],
        columns=["id", "kind", "created", "updated", "scenario", "runs", "runs_total"]
        + ["status", "folder", "command", "manifest"],
    ).astype({"runs": "Int64", "runs_total": "Int64"})
    con.register("_listing", listing)
    con.execute("CREATE TABLE studies AS SELECT * FROM _listing")
    con.unregister("_listing")
    for table in TABLES:
        parts = []
        for s in chosen:
            files = s.files(table)
            if files:
                parts.append(_source(s, files))
                con.execute(f"CREATE VIEW {table}_{s.id} AS {parts[-1]}")
        if parts:
            con.execute(f"CREATE VIEW {table} AS " + " UNION ALL BY NAME ".join(parts))
    dirs = sorted({str(s.folder) + os.sep for s in chosen})
    con.execute("SET allowed_directories = [" + ", ".join(map(_literal, dirs)) + "]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def _one_line(e: Exception) -> str:
    """DuckDB's message on one line: its lines up to the quoted query (``LINE 1: ...``)."""
    lines = []
    for line in str(e).splitlines():
        if line.startswith("LINE "):
            break
        if line.strip():
            lines.append(line.strip())
    return " ".join(lines) or type(e).__name__


def choose(ids: Iterable[str] | None, everyone: list[Study], catalogue: Path) -> list[Study]:
    """The studies named by ``--study`` (all present ones if none is named)."""
    by_id = {s.id: s for s in everyone}
    if not ids:
        return [s for s in everyone if not s.missing]
    chosen = []
    for sid in dict.fromkeys(ids):
        if sid not in by_id:
            raise CliError(f"--study: no study named {sid} (see pax-silica runs)")
        if by_id[sid].missing:
            raise CliError(
                f"--study: the folder of {sid} is missing ({by_id[sid].folder}); "
                "it was moved or deleted"
            )
        chosen.append(by_id[sid])
    return chosen


def run_query(
    sql: str, ids: Iterable[str] | None = None, catalogue: str | Path | None = None
) -> pd.DataFrame:
    """The result of one read-only SELECT over the studies ``ids`` (every study whose folder
    is there if None), as a DataFrame; a ``CliError`` for a malformed or writing query, an
    unknown study or an empty catalogue."""
    import duckdb

    path = catalogue_path(catalogue)
    everyone = studies(path)
    if not everyone:
        raise CliError(
            f"query: the catalogue {path} lists no studies yet; run a sweep (pax-silica "
            "sweep --out DIR) or name the catalogue with --catalogue"
        )
    chosen = choose(ids, everyone, path)
    if not chosen:
        raise CliError(f"query: every study of the catalogue {path} is missing its folder")
    con = connect(chosen, everyone)
    try:
        try:
            statements = con.extract_statements(sql)
        except duckdb.Error as e:
            raise CliError(f"query: {_one_line(e)}") from None
        if len(statements) != 1:
            raise CliError(f"query: expected one SELECT statement, got {len(statements)}")
        kind = statements[0].type.name
        if kind not in QUERY_STATEMENTS:
            raise CliError(f"query: only a SELECT is run (read-only); got a {kind} statement")
        try:
            return con.execute(sql).df()
        except duckdb.Error as e:
            raise CliError(f"query: {_one_line(e)}") from None
    finally:
        con.close()


# ------------------------------------------------------------------ command line -----
def add_catalogue_arg(p) -> None:
    p.add_argument(
        "--catalogue",
        type=Path,
        metavar="FILE",
        help=f"the catalogue of studies (default: ${CATALOGUE_ENV}, else {DEFAULT_CATALOGUE})",
    )


def register(sub, add_scenario_args) -> None:  # noqa: ARG001  (no scenario)
    p = sub.add_parser(
        "runs",
        help="list the studies in the catalogue (sweeps, calibrations, optimisations, reports)",
        description="List the studies registered in the catalogue: id, kind, created, "
        "scenario, runs, status (complete, partial, missing) and folder.",
    )
    p.add_argument("--kind", choices=KINDS, help="only studies of this kind")
    p.add_argument("--format", choices=FORMATS, default="table", help="default table")
    add_catalogue_arg(p)
    p.set_defaults(func=cmd_runs)

    q = sub.add_parser(
        "query",
        help="run SQL (DuckDB) across the studies' Parquet data",
        description="Run one read-only SELECT with DuckDB over the studies of the catalogue. "
        "Views: runs (every study's runs, with a study column), series (every quarter, "
        "where written), posterior (calibrations' particles), each also per study as "
        "runs_<id> etc., and studies (the catalogue). Columns are unioned by name.",
    )
    q.add_argument("sql", metavar="SQL", help='e.g. "select study, count(*) from runs group by 1"')
    q.add_argument(
        "--study",
        action="append",
        metavar="ID",
        help="only this study (repeatable; ids as `pax-silica runs` lists them)",
    )
    q.add_argument("--format", choices=FORMATS, default="table", help="default table")
    add_catalogue_arg(q)
    q.set_defaults(func=cmd_query)


def render(df: pd.DataFrame, fmt: str) -> str:
    """A frame as an aligned text table, CSV or a JSON array of records."""
    if fmt == "csv":
        return df.to_csv(index=False).rstrip("\n")
    if fmt == "json":
        return df.to_json(orient="records", date_format="iso", indent=1)
    if df.empty:
        return "  ".join(map(str, df.columns)) + "\n(no rows)"
    return df.to_string(index=False)


def cmd_runs(args) -> int:
    path = catalogue_path(args.catalogue)
    found = studies(path, args.kind)
    if args.format == "json":
        rows = [
            {**s.row(), "updated": s.updated, "command": s.command, "manifest": s.manifest}
            for s in found
        ]
        print(json.dumps(rows, indent=1))
        return 0
    if not found:
        what = f"{args.kind} studies" if args.kind else "studies"
        print(
            f"no {what} in the catalogue {path} yet (a sweep, calibration, optimisation or "
            "report is listed when it is written)",
            file=sys.stderr,
        )
    df = pd.DataFrame([s.row() for s in found], columns=LISTED)
    if found or args.format == "csv":
        print(render(df, args.format))
    return 0


def cmd_query(args) -> int:
    df = run_query(args.sql, args.study, args.catalogue)
    skipped = [s.id for s in studies(args.catalogue) if s.missing] if not args.study else []
    if skipped:
        print(
            f"note: left out, their folders missing: {', '.join(skipped)}",
            file=sys.stderr,
        )
    print(render(df, args.format))
    return 0
