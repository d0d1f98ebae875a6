"""Choices typed as text, read and written back: the one parser and formatter pair that
the terminal player (``pax-silica play``) and the app's decision panel share, and the
one-line summary of a US or Chinese choice both show."""

from __future__ import annotations

import math

from agents.policy import ChinaChoice, Decision, LeaderChoice, MemberChoice, PressurerChoice
from model.world import load_world


def tokens(text: str) -> list[str]:
    """Items separated by commas or spaces."""
    return [t for t in text.replace(",", " ").split() if t]


def number(text: str, what: str) -> float:
    """A finite number, or a ValueError naming ``what``."""
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"{what}: expected a number, got {text!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{what}: expected a finite number, got {text!r}")
    return v


def parse_pairs(text: str, what: str) -> dict[str, float]:
    """``JPN=0.5 KOR=1`` -> {"JPN": 0.5, "KOR": 1.0} (order kept); ``none`` -> {}."""
    if text.strip().lower() == "none":
        return {}
    out: dict[str, float] = {}
    for tok in tokens(text):
        if "=" not in tok:
            raise ValueError(f"{what}: expected ID=AMOUNT items such as JPN=0.5, got {tok!r}")
        who, amount = tok.split("=", 1)
        who = who.strip().upper()
        if who in out:
            raise ValueError(f"{what}: {who} is named twice")
        out[who] = number(amount, f"{what}[{who}]")
    return out


def parse_investments(text: str) -> list[tuple[str, int, float]]:
    """``USA:2=2.5, JPN:3=0.5`` (``2=2.5`` for the US) -> [(member, phase, US$bn)];
    ``none`` or blank -> []."""
    if text.strip().lower() in ("", "none"):
        return []
    items = []
    for tok in tokens(text):
        if "=" not in tok:
            raise ValueError(
                f"investments: expected MEMBER:PHASE=US$bn such as USA:2=2.5 "
                f"(or PHASE=US$bn for the US), got {tok!r}"
            )
        where, amount = tok.split("=", 1)
        who, _, ph = where.rpartition(":")
        try:
            phase = int(ph)
        except ValueError:
            raise ValueError(
                f"investments: expected a phase number 1-{load_world().n_phases}, got {ph!r}"
            ) from None
        items.append(((who or "USA").upper(), phase, number(amount, f"investments[{where}]")))
    return items


def pairs_text(d: dict[str, float]) -> str:
    """What ``parse_pairs`` reads back: ``JPN=0.50, KOR=1.00`` ("" for none)."""
    return ", ".join(f"{k}={v:.2f}" for k, v in d.items())


def investments_text(items: list[tuple[str, int, float]]) -> str:
    """What ``parse_investments`` reads back: ``USA:2=2.50`` ("" for none)."""
    return ", ".join(f"{w}:{p}={a:.2f}" for w, p, a in items)


def money_text(d: dict[str, float]) -> str:
    """Amounts by actor for reading, not for typing: ``JPN 0.50, KOR 1.00`` ("none")."""
    return ", ".join(f"{k} {v:.2f}" for k, v in d.items()) or "none"


def leader_summary(c: LeaderChoice) -> str:
    """A US choice in one line: side payments, invitation, investment, truce."""
    inv = investments_text(c.investments) or "none"
    return (
        f"side payments {money_text(c.side_payments)}; invite {c.invite or 'nobody'}; "
        f"invest {inv}; truce {'yes' if c.truce else 'no'}"
    )


def china_summary(c: ChinaChoice) -> str:
    """A Chinese choice in one line: pressure, inducement share, controls, truce."""
    units = ", ".join(f"{k} {u:.2f}" for k, u in c.pressure.items()) or "none"
    return (
        f"pressure {units}; inducement share {c.inducement_share:.2f}; controls "
        f"{c.controls:.2f}; truce {'yes' if c.truce else 'no'}"
    )


# --- a choice as plain data (JSON), and back: how a classroom stores its choices ----------
KINDS = {c.__name__: c for c in (LeaderChoice, ChinaChoice, PressurerChoice, MemberChoice)}


def choice_data(c) -> dict:
    """A choice as a JSON-ready dict (``{"kind": "LeaderChoice", ...}``); dict order (the
    priority order of pressure) and every float are kept, so :func:`choice_of` gives back
    an equal choice and a replayed run is the same run."""
    kind = type(c).__name__
    if kind not in KINDS:
        raise ValueError(f"choice: expected one of {', '.join(KINDS)}, got {kind}")
    if isinstance(c, MemberChoice):
        return {"kind": kind, "action": str(c.action)}
    if isinstance(c, LeaderChoice):
        return {
            "kind": kind,
            "side_payments": dict(c.side_payments),
            "invite": c.invite,
            "investments": [list(i) for i in c.investments],
            "truce": bool(c.truce),
        }
    if isinstance(c, ChinaChoice):
        return {
            "kind": kind,
            "pressure": dict(c.pressure),
            "inducement_share": c.inducement_share,
            "controls": c.controls,
            "truce": bool(c.truce),
            "ranking": None if c.ranking is None else list(c.ranking),
        }
    return {"kind": kind, "pressure": dict(c.pressure)}


def choice_of(d: dict):
    """The choice :func:`choice_data` wrote (a ValueError names what is wrong)."""
    try:
        kind = KINDS[d["kind"]]
        fields = {k: v for k, v in d.items() if k != "kind"}
        if kind is MemberChoice:
            return MemberChoice(Decision(fields["action"]))
        if kind is LeaderChoice:
            fields["investments"] = [(w, int(p), a) for w, p, a in fields["investments"]]
        return kind(**fields)
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"choice: cannot read {d!r} ({e})") from None


def choice_summary(c) -> str:
    """Any choice in one line (the debrief's words)."""
    if isinstance(c, LeaderChoice):
        return leader_summary(c)
    if isinstance(c, ChinaChoice):
        return china_summary(c)
    if isinstance(c, PressurerChoice):
        return "pressure " + (", ".join(f"{k} {u:.2f}" for k, u in c.pressure.items()) or "none")
    return str(c.action)
