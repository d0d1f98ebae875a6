"""Rules of behaviour: states (members, the leader, pressurers) and investors.

The agent classes are imported when first named (``agents.StateAgent``), not with the
package: the rules of pressure, China and the leader need no Mesa, and a command that
only reads the world's data (``pax-silica table``) starts without loading it."""

__all__ = ["InvestorAgent", "InvestorPopulation", "StateAgent"]


def __getattr__(name: str):
    if name in ("InvestorAgent", "InvestorPopulation"):
        from agents import investor

        return getattr(investor, name)
    if name == "StateAgent":
        from agents.state import StateAgent

        return StateAgent
    raise AttributeError(f"module 'agents' has no attribute {name!r}")
