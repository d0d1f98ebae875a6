"""Rules of behaviour: states (members, the leader, pressurers) and investors."""

from agents.investor import InvestorAgent, InvestorPopulation
from agents.state import StateAgent

__all__ = ["InvestorAgent", "InvestorPopulation", "StateAgent"]
