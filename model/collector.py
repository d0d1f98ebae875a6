"""What the model records each quarter: its reporters and the agents' rows."""

from __future__ import annotations

from operator import attrgetter

import mesa

from agents.investor import InvestorAgent
from agents.pressurer import PRESSURERS
from agents.state import StateAgent


class NoCollector:
    """The data collector of a model built with ``collect=False``: collects nothing.
    ``outcome()`` does not read the collector; asking for a series says why there is none."""

    def collect(self, model) -> None:
        pass

    def _none(self, *args, **kwargs):
        raise RuntimeError(
            "this model was built with collect=False and recorded no "
            "per-quarter series; build it with collect=True (the default)"
        )

    get_model_vars_dataframe = get_agent_vars_dataframe = get_agenttype_vars_dataframe = _none


class Collector(mesa.DataCollector):
    """Mesa's data collector, with a quarter's row recorded the short way.

    Mesa's ``collect`` is general: it tells each reporter's kind apart and deep-copies
    every value, each quarter, which costs a default run about a fifth of its time. Every
    value this model reports is a number, a flag or a name (immutable), so after Mesa has
    recorded and validated the first row, later rows are read with one getter per column
    into the same tables; Mesa's own methods build the frames
    (``get_model_vars_dataframe``, ``get_agenttype_vars_dataframe``), and
    tests/model/test_invariants.py checks they equal Mesa's own collection."""

    def __init__(
        self, model_reporters: dict, agenttype_reporters: dict, groups: dict | None = None
    ):
        super().__init__(model_reporters=model_reporters, agenttype_reporters=agenttype_reporters)
        grouped = {name for names in groups or {} for name in names}
        self._model_getters = [
            (name, attrgetter(r) if isinstance(r, str) else r)
            for name, r in model_reporters.items()
            if name not in grouped
        ]
        # Columns read together after the first row: (names, a getter of all their values
        # in that order), e.g. the 12 phases' shares as one array's ``tolist()``.
        self._groups = list((groups or {}).items())
        # An agent's row, its id first, read by one getter (one call an agent, not one a
        # column).
        self._type_getters = [
            (kind, attrgetter("unique_id", *columns.values()))
            for kind, columns in agenttype_reporters.items()
        ]

    def collect(self, model) -> None:
        if not self._validated:  # the first row: Mesa's checks and its own recording
            super().collect(model)
            return
        self._collection_steps.append(model.time)
        for name, get in self._model_getters:
            self.model_vars[name].append(get(model))
        for names, get in self._groups:
            for name, value in zip(names, get(model), strict=True):
                self.model_vars[name].append(value)
        t, kinds = model.time, model.agent_types
        self._agenttype_records[t] = {
            kind: [(t, *row(a)) for a in model.agents_by_type[kind]] if kind in kinds else []
            for kind, row in self._type_getters
        }


def make_collector(
    n_phases: int, collect_investors: bool = False, collect: bool = True
) -> Collector | NoCollector:
    """The model's data collector (:func:`reporters`); a ``NoCollector`` when ``collect``
    is off."""
    if not collect:
        return NoCollector()
    return Collector(*reporters(n_phases, collect_investors), groups=phase_columns(n_phases))


def phase_columns(n_phases: int) -> dict[tuple[str, ...], object]:
    """The reporters of :func:`reporters` read together: the per-phase ones as one array
    each (the same values: a float of each entry), the status counts in one pass over
    the states, the capital figures from one sum of each investor array."""
    names = lambda prefix: tuple(f"{prefix}_{k + 1}" for k in range(n_phases))  # noqa: E731
    return {
        names("signatory_share"): lambda m: m.member_share.tolist(),
        names("china_share"): lambda m: m.china_share.tolist(),
        STATUS_COUNTS: lambda m: m.status_counts(),
        CAPITAL: lambda m: m.capital_sums(),
    }


# Model reporters read together (each the same value as its own property, in this order).
STATUS_COUNTS = ("members", "founding_members", "participants", "defectors", "joined")
CAPITAL = (
    "capital_committed",
    "capital_pipeline",
    "capital_built",
    "capital_stranded",
    "capital_idle",
)


def reporters(n_phases: int, collect_investors: bool = False) -> tuple[dict, dict]:
    """What is recorded each quarter: a row of model reporters (every metric of
    ``PaxSilicaModel``, the pressure by pressurer, each phase's shares) and the states'
    (and optionally the investors') own rows, as Mesa's ``model_reporters`` and
    ``agenttype_reporters``."""
    reporters = {
        k: k
        for k in (
            "quarter",
            "members",
            "founding_members",
            "participants",
            "defectors",
            "joined",
            "credibility",
            "capital_committed",
            "capital_pipeline",
            "capital_built",
            "capital_stranded",
            "capital_idle",
            "price_index",
            "price_volatility",
            "supply_security",
            "aligned_supply_security",
            "bottleneck",
            "covered_phases",
            "controlled_phases",
            "refining_share",
            "china_escalation",
            "truce",
            "eu_pressurer",
            "collapsed",
            "public_investment",
        )
    }
    for a in PRESSURERS:
        reporters[f"pressure_{a}"] = lambda m, a=a: m.pressure_by[a]
    for k in range(n_phases):
        reporters[f"signatory_share_{k + 1}"] = lambda m, k=k: float(m.member_share[k])
        reporters[f"china_share_{k + 1}"] = lambda m, k=k: float(m.china_share[k])
    types = {
        StateAgent: {
            "actor": "code",
            "status": "status",
            "grievance": "grievance",
            "threshold": "threshold",
            "pressure": "pressure_total",
            "side_payment": "side_payment",
            "inflow": "inflow",
        }
    }
    if collect_investors:
        types[InvestorAgent] = {
            "kind": "kind",
            "belief": "belief",
            "idle": "idle",
            "pipeline": "pipeline",
            "built": "built",
            "stranded": "stranded",
        }
    return reporters, types
