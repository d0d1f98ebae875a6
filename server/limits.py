"""What one browser session may ask of the server: the app is served to a class with
``--host``, so a page must not be able to start unbounded work.

Each limit is an environment variable of the server, read when it is used (so a test or a
teacher can change it without a restart of this module):

* ``PAX_MAX_REPLICATIONS`` (default 200): runs in one replications job;
* ``PAX_MAX_INVESTORS`` (default 10000, the top of the model's design range): investor
  agents in a model the page builds (the parameter itself goes to 100000 on the command
  line);
* one replications job at a time per session (the Replications tab refuses a second).

A request beyond a limit is refused with one message naming the field, the limit and the
variable that sets it. A malformed variable stops the server at its start (``python -m
server app`` checks :func:`current`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from model.scenario import Scenario, ScenarioError

SOURCE = "app settings"  # as server.controls names the page's values in messages
DEFAULTS = {"PAX_MAX_REPLICATIONS": 200, "PAX_MAX_INVESTORS": 10_000}


class LimitError(ValueError):
    """A malformed limit in the environment."""


class Refused(ValueError):
    """A request from the page beyond a limit; the message is the one to show."""


@dataclass(frozen=True)
class Limits:
    replications: int
    investors: int


def _read(name: str) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return DEFAULTS[name]
    if not text.isdigit() or int(text) < 1:
        raise LimitError(f"{name}: expected a whole number of at least 1, got {text!r}")
    return int(text)


def current() -> Limits:
    """The limits now in force (raises :class:`LimitError` on a malformed variable)."""
    return Limits(_read("PAX_MAX_REPLICATIONS"), _read("PAX_MAX_INVESTORS"))


def check_scenario(scen: Scenario) -> None:
    """Refuse a scenario with more investors than a page may build."""
    check_investors(scen.params["n_investors"])


def check_investors(n: int) -> None:
    """Refuse more investors than a page may build."""
    cap = current().investors
    if n > cap:
        raise ScenarioError(
            SOURCE,
            "n_investors",
            f"expected at most {cap:,} investors in the app (PAX_MAX_INVESTORS), got {n:,}",
        )


def check_replications(text: str) -> int:
    """The number of runs typed in the Replications tab, within the limit; raises
    :class:`Refused` with the message to show."""
    cap = current().replications
    text = str(text).strip()
    if not text.isdigit() or not 1 <= int(text) <= cap:
        raise Refused(
            f"Number of runs: expected a whole number in [1, {cap}] (the app's limit, "
            f"PAX_MAX_REPLICATIONS), got {text[:40]!r}"
        )
    return int(text)
