"""What the model records each quarter: its reporters and the agents' rows."""

from __future__ import annotations

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


def make_collector(
    n_phases: int, collect_investors: bool = False, collect: bool = True
) -> mesa.DataCollector | NoCollector:
    """The model's data collector: a row of model reporters per quarter (every metric of
    ``PaxSilicaModel``, the pressure by pressurer, each phase's shares) and the states'
    (and optionally the investors') own rows; a ``NoCollector`` when ``collect`` is off."""
    if not collect:
        return NoCollector()
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
    return mesa.DataCollector(model_reporters=reporters, agenttype_reporters=types)
