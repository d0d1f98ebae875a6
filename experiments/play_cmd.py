"""``pax-silica play``: play the US or China in the terminal, quarter by quarter.

The player is a policy object (``agents.policy``): the model calls ``decide(view)`` each
quarter, and the player shows the view -- everything that government sees, nothing
hidden -- and asks for each lever in turn. Empty input takes the rule-based actor's
choice for that lever, so a player who only presses Enter reproduces the rule-based run
exactly. Every answer is checked against the same budgets and rules as the rule-based
actor's (``check_leader``, ``check_china``); a bad one is refused with the rule's message
and asked again. The prompt and parse logic lives in ``USPlayer`` and ``ChinaPlayer``,
which read lines from any callable (``input``, or ``ScriptedInput`` in tests).

The score (0-100; the formula is in ``score`` and the README):

    S = time to collapse / horizon (1 if the alliance survives)
    P = mean over quarters of (covered phases + controlled phases) / (2 x the number of phases)
    K = mean over quarters of capital committed / investors' total capital
    US score = 100 (0.4 S + 0.3 P + 0.3 K);  China's score = 100 - US score
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from agents.china import RuleBasedChina
from agents.leader import RuleBasedLeader
from agents.policy import (
    ChinaChoice,
    ChinaView,
    LeaderChoice,
    LeaderView,
    PolicyError,
    check_china,
    check_leader,
)
from experiments.args import load_from_args, natural_int, positive_int
from model.choices import (
    china_summary,
    investments_text,
    leader_summary,
    money_text,
    number,
    pairs_text,
    parse_investments,
    parse_pairs,
)
from model.model import PaxSilicaModel
from model.score import compare as score_compare
from model.world import load_world

HELP = """At each prompt:
  Enter      take the default in [brackets]: what the rule-based actor would do
  none       nothing on this lever
  pass       nothing on any lever this quarter
  auto       the rule-based actor's choice on every lever this quarter
  auto N     let the rule-based actor play this quarter and the next N-1
  auto all   let the rule-based actor play to the end
  view       show this quarter's view again
  help       this text"""


class ScriptedInput:
    """Input lines from a list, as ``input`` would give them; EOFError when used up."""

    def __init__(self, lines: list[str], echo=None):
        self.lines = list(lines)
        self.echo = echo

    def __call__(self, prompt: str = "") -> str:
        if not self.lines:
            raise EOFError
        line = self.lines.pop(0)
        if self.echo is not None:
            print(f"{prompt}{line}", file=self.echo)
        return line


def read_stdin(prompt: str = "") -> str:
    """``input``, with an unreadable standard input treated as its end, and piped input
    echoed so that the transcript reads like a terminal session."""
    try:
        line = input(prompt)
    except OSError:
        raise EOFError from None
    if not sys.stdin.isatty():
        print(line)
    return line


class _Pass(Exception):
    pass


class _Auto(Exception):
    pass


_DEFAULT = object()


class TerminalPlayer:
    """Shared prompting: levers, defaults, commands, re-prompting on errors."""

    actor = ""
    rule: RuleBasedLeader | RuleBasedChina

    def __init__(
        self,
        read: Callable[[str], str] = read_stdin,
        out=None,
        phase_names: list[str] | None = None,
        horizon: int | None = None,
    ):
        self.read = read
        self.out = out or sys.stdout
        self.phase_names = phase_names or [
            f"phase {i}" for i in range(1, load_world().n_phases + 1)
        ]
        self.horizon = horizon
        self.auto_quarters = 0
        self.auto_rest = False
        self.news: Callable[[], list[str]] | None = None
        self.choices: list = []

    # -- output --------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def phase(self, k: int) -> str:
        return (
            f"phase {k} ({self.phase_names[k - 1]})"
            if 1 <= k <= len(self.phase_names)
            else f"phase {k}"
        )

    # -- the policy interface --------------------------------------------------------------
    def decide(self, view):
        rule = self.rule.decide(view)
        if self.news is not None:
            for line in self.news():
                self.say(f"  > {line}")
        if self.auto_rest or self.auto_quarters > 0:
            self.auto_quarters = max(0, self.auto_quarters - 1)
            self.choices.append(rule)
            return rule
        self.say()
        self.say(self.render(view))
        self.say(f"The rule-based {self.actor} would: {self.summary(rule)}")
        try:
            choice = self.ask(view, rule)
        except _Pass:
            choice = self.nothing(view)
        except _Auto:
            choice = rule
        self.say(f"  Your choice: {self.summary(choice)}")
        self.choices.append(choice)
        return choice

    def ask_lever(self, prompt: str, default_text: str, parse: Callable):
        """Ask for one lever until the answer parses and passes the rules; the parsed
        value, or ``_DEFAULT`` for Enter (or end of input)."""
        while True:
            if self.auto_rest:
                return _DEFAULT
            try:
                line = self.read(f"{prompt} [{default_text}]: ")
            except EOFError:
                self.say()
                self.say("  (end of input: the rule-based actor plays the rest of the game)")
                self.auto_rest = True
                return _DEFAULT
            text = line.strip()
            word = text.lower()
            if not text:
                return _DEFAULT
            if word in ("help", "?", "h"):
                self.say(HELP)
                continue
            if word == "view":
                self.say(self._view_text)
                continue
            if word == "pass":
                raise _Pass
            if word.startswith("auto"):
                rest = word[4:].strip()
                if rest in ("", "1"):
                    raise _Auto
                if rest in ("all", "rest"):
                    self.auto_rest = True
                    raise _Auto
                if rest.isdigit() and int(rest) >= 1:
                    self.auto_quarters = int(rest) - 1
                    raise _Auto
                self.say(f"  ! auto: expected 'auto', 'auto N' or 'auto all', got {text!r}")
                continue
            try:
                return parse(text)
            except PolicyError as e:
                self.say(f"  ! {e}")
            except ValueError as e:
                self.say(f"  ! {e}")

    def render(self, view) -> str:
        self._view_text = self._render(view)
        return self._view_text

    _view_text = ""


def _yes_no(text: str) -> bool:
    w = text.strip().lower()
    if w in ("y", "yes", "true", "1"):
        return True
    if w in ("n", "no", "none", "false", "0"):
        return False
    raise ValueError(f"expected yes or no, got {text!r}")


# --- the US -------------------------------------------------------------------------------
class USPlayer(TerminalPlayer):
    """The US in the terminal: side payments, an invitation, public investment, a truce."""

    actor = "US"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = RuleBasedLeader()

    def _render(self, v: LeaderView) -> str:
        of = f" of {self.horizon}" if self.horizon else ""
        lines = [
            f"=== {v.when} (quarter {v.quarter}{of}): you are the United States ===",
            f"Credibility {v.credibility:.2f}   China's escalation {v.china_escalation:.2f}"
            f"{'   (a truce is in force)' if v.truce_active else ''}   input price index "
            f"{v.price_index:.2f}",
            f"Signatories control {v.controlled_phases} of {len(self.phase_names)} phases; the "
            f"bottleneck is "
            f"{self.phase(v.bottleneck)}.",
            "Members (strain = grievance / threshold, your diplomats' estimate; "
            "1 = about to leave):",
        ]
        for mb in sorted(v.members, key=lambda x: (-x.strain, x.id)):
            bar = "#" * min(20, int(round(mb.strain * 10)))
            lines.append(
                f"  {mb.id}  {mb.name[:24]:<24} GDP US${mb.gdp_usd_bn:>6.0f}bn  "
                f"strain {mb.strain:4.2f} {bar}"
            )
        if v.may_invite and v.candidates:
            lines.append(
                "You may invite one of (gain if it signed: covered + controlled "
                f"phases /{len(self.phase_names)} + self-sufficiency):"
            )
            lines += [
                f"  {c.id}  {c.name[:24]:<24} gain {c.gain:+.3f}"
                for c in sorted(v.candidates, key=lambda c: (-c.gain, c.id))
            ]
        else:
            lines.append(
                "No invitation is possible this quarter (credibility too low, "
                "invitations off, or one too recent)."
            )
        lines.append(
            f"Budgets: side payments US${v.side_payment_budget:.2f}bn (the rule pays "
            f"at most {v.side_payment_targets} members); public investment "
            f"US${v.investment_budget:.2f}bn this quarter (bottleneck money "
            f"{v.leader_investment:.2f}, refining money {v.refining_investment:.2f} "
            f"for {', '.join(v.refining_investors) or 'nobody'})."
        )
        return "\n".join(lines)

    def summary(self, c: LeaderChoice) -> str:
        return leader_summary(c)

    def nothing(self, view: LeaderView) -> LeaderChoice:
        return LeaderChoice()

    def ask(self, v: LeaderView, rule: LeaderChoice) -> LeaderChoice:
        def pays(text):
            d = parse_pairs(text, "side_payments")
            check_leader(LeaderChoice(side_payments=d), v)
            return d

        sp = self.ask_lever(
            f"Side payments, US$bn (e.g. JPN=0.5 KOR=1; budget {v.side_payment_budget:.2f})",
            money_text(rule.side_payments),
            pays,
        )
        invite = rule.invite
        if v.may_invite and v.candidates:

            def inv(text):
                who = None if text.strip().lower() == "none" else text.strip().upper()
                check_leader(LeaderChoice(invite=who), v)
                return who

            got = self.ask_lever("Invite (a candidate id, or none)", rule.invite or "none", inv)
            invite = rule.invite if got is _DEFAULT else got

        def invest(text):
            items = parse_investments(text)
            check_leader(LeaderChoice(investments=items), v)
            return items

        default_inv = investments_text(rule.investments) or "none"
        inv_items = self.ask_lever(
            f"Public investment (MEMBER:PHASE=US$bn, e.g. USA:2=2.5; "
            f"budget {v.investment_budget:.2f})",
            default_inv,
            invest,
        )
        truce = rule.truce
        if not v.truce_active:

            def tr(text):
                t = _yes_no(text)
                check_leader(LeaderChoice(truce=t), v)
                return t

            got = self.ask_lever(
                "Agree a truce with China over your allies' heads (costs credibility)? yes/no",
                "yes" if rule.truce else "no",
                tr,
            )
            truce = rule.truce if got is _DEFAULT else got
        choice = LeaderChoice(
            side_payments=dict(rule.side_payments) if sp is _DEFAULT else sp,
            invite=invite,
            investments=list(rule.investments) if inv_items is _DEFAULT else inv_items,
            truce=truce,
        )
        if (
            sp is _DEFAULT
            and inv_items is _DEFAULT
            and invite == rule.invite
            and truce == rule.truce
        ):
            return rule  # exactly the rule-based choice
        check_leader(choice, v)
        return choice


# --- China --------------------------------------------------------------------------------
class ChinaPlayer(TerminalPlayer):
    """China in the terminal: targets and units, inducement share, export controls, a truce."""

    actor = "China"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rule = RuleBasedChina()

    def _render(self, v: ChinaView) -> str:
        of = f" of {self.horizon}" if self.horizon else ""
        lines = [
            f"=== {v.when} (quarter {v.quarter}{of}): you are China ===",
            f"Escalation {v.escalation:.2f}   truce in force: "
            f"{'yes' if v.truce_active else 'no'}   the alliance's refining share "
            f"{v.alliance_refining_share:.1%}   US credibility {v.credibility:.2f}",
            f"Budget {v.budget:.2f} units (at most {v.max_per_target:.2f} per target); "
            f"export controls up to {v.max_controls:.2f}; inducement share now "
            f"{v.inducement_share:.2f}.",
            f"Spent in the last three quarters: {v.spent_last_three:.2f}. When a year's "
            f"spending reaches {v.truce_cost:g} the rule seeks a truce; controls cost "
            f"{v.control_cost:g} per unit of stringency; chokepoint deterrence "
            f"{v.deterrence:g}.",
            "Members you can target (value = share of the alliance it represents; "
            "exposure = exports to China, % of GDP;",
            "chokepoints = its frontier shares in phases you cannot supply):",
            f"  {'id':<4} {'name':<24} {'value':>6} {'exposure':>8} {'resistance':>10} "
            f"{'GDP US$bn':>9} {'chokepoints':>11}",
        ]
        for t in v.targets:
            lines.append(
                f"  {t.id:<4} {t.name[:24]:<24} {t.value:6.3f} {t.exposure:8.2f} "
                f"{t.resistance:10.2f} {t.gdp_usd_bn:9.0f} {t.chokepoints:11.3f}"
            )
        return "\n".join(lines)

    def summary(self, c: ChinaChoice) -> str:
        return china_summary(c)

    def nothing(self, view: ChinaView) -> ChinaChoice:
        return ChinaChoice(inducement_share=view.inducement_share)

    def ask(self, v: ChinaView, rule: ChinaChoice) -> ChinaChoice:
        pressure = _DEFAULT
        if v.budget > 0 and v.targets:

            def pr(text):
                d = parse_pairs(text, "pressure")
                check_china(ChinaChoice(pressure=d, inducement_share=v.inducement_share), v)
                return d

            default = pairs_text(rule.pressure) or "none"
            pressure = self.ask_lever(
                f"Pressure, units in priority order (e.g. SGP=1.25 QAT=1; budget {v.budget:.2f})",
                default,
                pr,
            )

        def share(text):
            s = number(text, "inducement_share")
            check_china(ChinaChoice(inducement_share=s), v)
            return s

        ind = self.ask_lever(
            "Share of units spent on inducements rather than denial (0-1)",
            f"{rule.inducement_share:.2f}",
            share,
        )
        controls = _DEFAULT
        if v.max_controls > 0:

            def ctl(text):
                c = 0.0 if text.strip().lower() == "none" else number(text, "controls")
                check_china(ChinaChoice(inducement_share=v.inducement_share, controls=c), v)
                return c

            controls = self.ask_lever(
                f"Export-control stringency on refined inputs (0 to {v.max_controls:.2f})",
                f"{rule.controls:.2f}",
                ctl,
            )
        truce = _DEFAULT
        if not v.truce_active:

            def tr(text):
                t = _yes_no(text)
                check_china(ChinaChoice(inducement_share=v.inducement_share, truce=t), v)
                return t

            truce = self.ask_lever(
                "Seek a truce from next quarter? yes/no", "yes" if rule.truce else "no", tr
            )
        if all(x is _DEFAULT for x in (pressure, ind, controls, truce)):
            return rule  # exactly the rule-based choice
        choice = ChinaChoice(
            pressure=dict(rule.pressure) if pressure is _DEFAULT else pressure,
            inducement_share=rule.inducement_share if ind is _DEFAULT else ind,
            controls=rule.controls if controls is _DEFAULT else controls,
            truce=rule.truce if truce is _DEFAULT else truce,
            ranking=list(rule.ranking) if pressure is _DEFAULT and rule.ranking else None,
        )
        check_china(choice, v)
        return choice


# --- the command ----------------------------------------------------------------------------
def register(sub, add_scenario_args) -> None:
    p = sub.add_parser("play", help="play the US or China in the terminal, quarter by quarter")
    p.add_argument(
        "--as",
        dest="side",
        required=True,
        choices=["us", "china"],
        help="which government you play",
    )
    add_scenario_args(p)
    p.add_argument("--seed", type=natural_int, default=0, help="random seed (default 0)")
    p.add_argument("--steps", type=positive_int, help="quarters to play (default 40)")
    p.add_argument(
        "--compare",
        type=positive_int,
        default=1,
        metavar="N",
        help="also score the rule-based actor over N seeds from --seed (default 1: "
        "the same seed only)",
    )
    p.set_defaults(func=run)


def run(args, read: Callable[[str], str] | None = None, out=None) -> int:
    out = out or sys.stdout
    if args.steps:
        args.overrides = [*args.overrides, f"steps={args.steps}"]
    scen = load_from_args(args)
    result = play(scen, args.side, seed=args.seed, read=read or read_stdin, out=out)
    compare(scen, args.side, args.seed, args.compare, result, out)
    return 0


def play(scen, side: str, seed: int = 0, read: Callable[[str], str] = read_stdin, out=None):
    """Play one game; returns the finished model."""
    out = out or sys.stdout
    names = [ph.name for ph in load_world().phases]
    cls = USPlayer if side == "us" else ChinaPlayer
    player = cls(read=read, out=out, phase_names=names, horizon=int(scen.params["steps"]))
    key = "USA" if side == "us" else "CHN"
    m = PaxSilicaModel(scen, rng=seed, policies={key: player})
    shown = [0]

    def news() -> list[str]:
        new = m.events[shown[0] :]
        shown[0] = len(m.events)
        return [e.text for e in new]

    player.news = news
    print(
        f"Pax Silica: you play {'the United States' if side == 'us' else 'China'}. "
        f"Scenario {m.scenario.name}: {m.scenario.description}",
        file=out,
    )
    print(
        f"Seed {seed}, {m.p['steps']} quarters. Type 'help' at any prompt; Enter takes the "
        f"rule-based actor's choice.",
        file=out,
    )
    while m.running:
        m.step()
        for line in news():
            print(f"  > {line}", file=out)
        print(
            f"  -- end of {m.when()}: members {m.members}, credibility "
            f"{m.credibility:.2f}, capital committed US${m.capital_committed:.0f}bn, "
            f"controlled phases {m.controlled_phases}, price index {m.price_index:.2f}",
            file=out,
            flush=True,
        )
    m.player = player
    return m


def compare(scen, side: str, seed: int, n: int, m, out) -> tuple[dict, dict]:
    """Print the game's outcome and score next to the rule-based actor's over ``n`` seeds
    from ``seed`` (``model.score.compare``); returns (the player's score, the rule-based
    score on ``seed``)."""
    text, mine, first = score_compare(scen, side, seed, n, m)
    print(file=out)
    print(text, file=out)
    return mine, first
