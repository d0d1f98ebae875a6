"""Where classroom games are kept: one SQLite file (standard-library ``sqlite3``).

A game's row holds what rebuilds it -- scenario, seed, parameter overrides, the seats
offered, the timer, how many quarters were played -- and a SHA-256 hash of its teacher
key (never the key). Each seat keeps the name its last student typed; each quarter,
every seat's choice (the student's, or the rules' when nobody sat there or time ran out)
is kept as plain data (``model.choices.choice_data``), so :mod:`server.classroom` can
rebuild the game by replaying those choices on the same seed: the model is deterministic
given its seed and its choices, and nothing here knows a model rule.

The file is ``PAX_SILICA_CLASSROOM_DB`` if set, else ``.pax-silica/classroom.sqlite``
under the directory the server runs in. Every write is one transaction (all or nothing);
a path that cannot hold a database raises :class:`StoreError` with one message.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

DB_ENV = "PAX_SILICA_CLASSROOM_DB"
DEFAULT_DB = Path(".pax-silica") / "classroom.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS games (
    code TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    scenario TEXT NOT NULL,
    seed INTEGER NOT NULL,
    params TEXT NOT NULL,          -- JSON: parameter overrides
    seats TEXT NOT NULL,           -- JSON: the actors offered as seats, in order
    round_seconds REAL,            -- NULL: no timer
    key_hash TEXT NOT NULL,        -- sha256 of the teacher key, hex
    status TEXT NOT NULL,          -- open, running, paused, finished, closed
    played INTEGER NOT NULL DEFAULT 0,
    closed_by TEXT,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS seats (
    code TEXT NOT NULL REFERENCES games(code),
    actor TEXT NOT NULL,
    label TEXT NOT NULL,           -- the name its last student typed, verbatim
    PRIMARY KEY (code, actor)
);
CREATE TABLE IF NOT EXISTS choices (
    code TEXT NOT NULL REFERENCES games(code),
    quarter INTEGER NOT NULL,
    actor TEXT NOT NULL,
    chosen_by TEXT NOT NULL,       -- the student's name as typed, or '' for the rules
    choice TEXT NOT NULL,          -- JSON: model.choices.choice_data
    PRIMARY KEY (code, quarter, actor)
);
CREATE TABLE IF NOT EXISTS notes (
    code TEXT NOT NULL REFERENCES games(code),
    n INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (code, n)
);
"""


class StoreError(RuntimeError):
    """The classroom's database cannot be opened or read (one message, with the path)."""


def db_path() -> Path:
    """The database file: ``PAX_SILICA_CLASSROOM_DB``, else ``.pax-silica/classroom.sqlite``."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


class Store:
    """The classroom's games on disk. Thread-safe: one connection behind a lock."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else db_path()
        hint = f"set {DB_ENV} to a writable file path"
        if str(self.path).strip() in ("", "."):
            raise StoreError(f"classroom database: no file path given; {hint}")
        if self.path.is_dir():
            raise StoreError(f"classroom database {self.path}: is a directory, not a file; {hint}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
            self._db.execute("PRAGMA foreign_keys = ON")
            with self._db:
                self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"classroom database {self.path}: {e}; {hint}") from None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, rows: list[tuple] | tuple) -> None:
        """One transaction: every row or none."""
        many = isinstance(rows, list)
        with self._lock:
            try:
                with self._db:
                    if many:
                        self._db.executemany(sql, rows)
                    else:
                        self._db.execute(sql, rows)
            except sqlite3.Error as e:
                raise StoreError(f"classroom database {self.path}: {e}") from None

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as e:
                raise StoreError(f"classroom database {self.path}: {e}") from None

    # -- writes -----------------------------------------------------------------------
    def add_game(
        self,
        code: str,
        title: str,
        scenario: str,
        seed: int,
        params: dict,
        seats: list[str],
        round_seconds: float | None,
        key_hash: str,
        status: str = "open",
    ) -> None:
        self._write(
            "INSERT INTO games (code, title, scenario, seed, params, seats, round_seconds, "
            "key_hash, status, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                code,
                title,
                scenario,
                seed,
                json.dumps(params),
                json.dumps(seats),
                round_seconds,
                key_hash,
                status,
                time.time(),
            ),
        )

    def set_state(
        self,
        code: str,
        status: str,
        played: int,
        round_seconds: float | None,
        closed_by: str | None = None,
    ) -> None:
        self._write(
            "UPDATE games SET status = ?, played = ?, round_seconds = ?, closed_by = ? "
            "WHERE code = ?",
            (status, played, round_seconds, closed_by, code),
        )

    def set_seat(self, code: str, actor: str, label: str) -> None:
        self._write(
            "INSERT INTO seats (code, actor, label) VALUES (?, ?, ?) "
            "ON CONFLICT (code, actor) DO UPDATE SET label = excluded.label",
            (code, actor, label),
        )

    def add_choices(self, code: str, quarter: int, rows: list[tuple[str, str, dict]]) -> None:
        """One round's choices, (actor, chosen_by, choice_data), in one transaction."""
        self._write(
            "INSERT OR REPLACE INTO choices (code, quarter, actor, chosen_by, choice) "
            "VALUES (?, ?, ?, ?, ?)",
            [(code, quarter, a, by, json.dumps(c)) for a, by, c in rows],
        )

    def add_note(self, code: str, n: int, text: str) -> None:
        self._write(
            "INSERT OR REPLACE INTO notes (code, n, text) VALUES (?, ?, ?)", (code, n, text)
        )

    # -- reads ------------------------------------------------------------------------
    GAME_COLUMNS = (
        "code, title, scenario, seed, params, seats, round_seconds, key_hash, status, "
        "played, closed_by"
    )

    def _game(self, row: tuple) -> dict[str, Any]:
        keys = [k.strip() for k in self.GAME_COLUMNS.split(",")]
        g = dict(zip(keys, row, strict=True))
        g["params"] = json.loads(g["params"])
        g["seats"] = json.loads(g["seats"])
        return g

    def games(self, include_closed: bool = False) -> dict[str, dict[str, Any]]:
        """Every stored game (by code, oldest first), closed ones only if asked."""
        where = "" if include_closed else " WHERE status != 'closed'"
        rows = self._read(f"SELECT {self.GAME_COLUMNS} FROM games{where} ORDER BY created")
        return {r[0]: self._game(r) for r in rows}

    def game(self, code: str) -> dict[str, Any] | None:
        """One game with its seats (actor -> name), choices and notes, or None."""
        rows = self._read(f"SELECT {self.GAME_COLUMNS} FROM games WHERE code = ?", (code,))
        if not rows:
            return None
        g = self._game(rows[0])
        g["labels"] = dict(self._read("SELECT actor, label FROM seats WHERE code = ?", (code,)))
        g["choices"] = [
            (q, a, by, json.loads(c))
            for q, a, by, c in self._read(
                "SELECT quarter, actor, chosen_by, choice FROM choices WHERE code = ? "
                "ORDER BY quarter, actor",
                (code,),
            )
        ]
        g["notes"] = [
            t for (t,) in self._read("SELECT text FROM notes WHERE code = ? ORDER BY n", (code,))
        ]
        return g
