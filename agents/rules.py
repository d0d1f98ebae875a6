"""The model's own deciders: every actor follows its rules unless a policy is given.

``RULES`` names the rule-based decider of each kind of turn, each in the file of the
agent it belongs to; :class:`Policies` is the deciders a model has by default
(``agents.policy.Deciders``): a player's or a script's policy where one is given, the
rules elsewhere.
"""

from __future__ import annotations

from typing import Any

from agents.china import RuleBasedChina
from agents.leader import RuleBasedLeader
from agents.policy import Kind, Turn
from agents.pressurer import RuleBasedPressurer
from agents.state import RuleBasedMember

RULES = {
    Kind.LEADER: RuleBasedLeader,
    Kind.CHINA: RuleBasedChina,
    Kind.PRESSURER: RuleBasedPressurer,
    Kind.MEMBER: RuleBasedMember,
}
OWN_RULES = tuple(RULES.values())


def rule_choice(turn: Turn) -> Any:
    """What the actor's rule-based government would choose in this turn."""
    return RULES[turn.kind]().decide(turn.view)


class Policies:
    """Deciders from a mapping of actor -> policy (an object with ``decide(view)``): the
    given policies decide for their actors, the rules for everyone else. Choices of the
    model's own rule-based classes are trusted; any other policy's are checked."""

    def __init__(self, policies: dict[str, Any] | None = None):
        self.policies = dict(policies or {})
        self.asks = frozenset(self.policies)

    def decide_round(self, turns: list[Turn]) -> dict[str, Any]:
        out = {}
        for turn in turns:
            policy = self.policies.get(turn.actor)
            out[turn.actor] = rule_choice(turn) if policy is None else policy.decide(turn.view)
        return out

    def trusts(self, actor: str) -> bool:
        policy = self.policies.get(actor)
        return policy is None or type(policy) in OWN_RULES
