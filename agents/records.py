"""What the agents are made from: a state's public figures and an investor type, as the
data files give them (``model/data/actors.csv``, ``model/data/investor_types.csv``).

Plain records, apart from the agents that use them (``agents/state.py``,
``agents/investor.py``), so that reading the world's data needs no Mesa.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """A modelled state (or the rest-of-world residual) with the figures the rules use
    (one row of ``model/data/actors.csv``)."""

    id: str
    name: str
    short_name: str  # in running text: "the US", "the EU", "Japan"
    adjective: str  # "Chinese", "EU": as in "Chinese pressure"
    kind: str  # "state" or "rest"
    region: str
    gdp_usd_bn: float
    exports_to_china_pct_gdp: float
    exports_to_eu_pct_gdp: float
    exports_to_russia_pct_gdp: float
    exports_to_brazil_pct_gdp: float
    # the pressurers' own instruments (agents/pressurer.py: INSTRUMENTS): imports of energy and
    # fertiliser from Russia, and of minerals from Brazil, % of GDP (2024)
    energy_from_russia_pct_gdp: float
    minerals_from_brazil_pct_gdp: float
    us_security_tie: float
    sovereign_fund_usd_bn: float


@dataclass(frozen=True)
class InvestorType:
    name: str
    count_share: float
    capital_pool: str  # "gulf" or "private"
    hurdle_rate: float
    risk_aversion: float
    signal_noise: float
    herding: float
    patience: float
