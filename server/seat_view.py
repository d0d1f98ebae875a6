"""One seat's decision, in the browser: what the actor sees now, and a form for its levers.

Used by the app's Play tab (:mod:`server.play_view`) and by classroom mode's student page
(:mod:`server.classroom_view`). It decides nothing: it shows the view the model gives the
actor (``agents.policy``), fills the form with the actor's rule-based choice (the
"advisers' advice", ``rule_choice``), and hands the student's choice to
:meth:`server.classroom.Game.submit`, which checks it by the model's own rules.

Interface
---------
``DecisionPanel(game: Game, holder: str, version: int)``
    ``game``: the :class:`server.classroom.Game`; ``holder``: the browser session seated
    in it (as given to ``game.take``); ``version``: ``game.version`` as last polled by the
    parent -- the panel reads the game on each render, so the parent passes the new
    version to redraw it (the panel polls nothing itself).

    With a turn owed (``game.turn_for(seat)``): the quarter and actor, a compact view, the
    advice in words, then the levers, each starting at the advice, so Submit with nothing
    changed submits exactly ``rule_choice(turn)``:

    * the US: side payments (``JPN=0.5, KOR=1``), an invitation (a select), public
      investment (``MEMBER:PHASE=US$bn``, e.g. ``USA:2=2.5``), a truce checkbox;
    * China: pressure (``SGP=1.25, QAT=1``, in priority order), the inducement share and
      export controls (sliders, controls up to the view's ``max_controls``), a truce;
    * Russia, Brazil, the EU: pressure per target;
    * a state: one button per option (Stay / Leave, or Join / Stay out).

    A refused choice (``PolicyError``, ``SeatError`` or an unreadable entry) shows its one
    message and keeps the form as typed. With no turn owed it says why (waiting for the
    others, for the next quarter, not started, paused, over).

CSS classes (stable; the browser tests use them):

    pax-seat-panel      the panel (a card)
    pax-seat-turn       the heading: quarter and actor
    pax-seat-view       the view summary (HTML)
    pax-seat-advice-text  what the advisers would do
    pax-seat-waiting    shown instead of a form when no turn is owed (also when the game
                        is over: then also pax-seat-over)
    pax-seat-error      the message of a refused choice
    pax-seat-submit     Submit (US, China, pressurers)
    pax-seat-advice     "Take the advisers' advice": submits ``rule_choice`` directly
    pax-seat-stay, pax-seat-leave, pax-seat-join, pax-seat-stay-out   a state's buttons
    pax-seat-payments, pax-seat-invite, pax-seat-invest, pax-seat-truce   US levers
    pax-seat-pressure, pax-seat-inducement, pax-seat-controls   China's (and a
                        pressurer's pressure)
"""

from __future__ import annotations

import html
from typing import Any

import solara
from solara.alias import rv

from agents.policy import (
    ChinaChoice,
    Decision,
    Kind,
    LeaderChoice,
    MemberChoice,
    PressurerChoice,
    Turn,
)
from agents.rules import rule_choice
from agents.state import Status
from model.choices import (
    china_summary,
    investments_text,
    leader_summary,
    pairs_text,
    parse_investments,
    parse_pairs,
)
from model.params import registry
from model.wording import plural, short_name
from server import plot
from server.classroom import Game

OPTION_CLASS = {
    Decision.STAY: "pax-seat-stay",
    Decision.LEAVE: "pax-seat-leave",
    Decision.JOIN: "pax-seat-join",
    Decision.STAY_OUT: "pax-seat-stay-out",
}
OPTION_LABEL = {
    Decision.STAY: "Stay in the alliance",
    Decision.LEAVE: "Leave the alliance",
    Decision.JOIN: "Sign (join)",
    Decision.STAY_OUT: "Stay out",
}
SNAP = 0.006  # a slider this close to the advice (or the maximum) means the advice

TABLE = "style='border-collapse:collapse;font-size:0.85em;margin:4px 0'"
TD = "style='padding:1px 8px 1px 0'"
TDR = "style='padding:1px 8px 1px 0;text-align:right'"
TH = "style='padding:1px 8px 1px 0;text-align:left'"
THR = "style='padding:1px 8px 1px 0;text-align:right'"


# ----------------------------------------------------------------- words and views ----
def _e(x: Any) -> str:
    return html.escape(str(x))


def _bar(share: float, color: str, width: int = 120) -> str:
    w = int(round(width * max(0.0, min(1.0, share))))
    return (
        f"<span style='display:inline-block;width:{width}px;height:9px;"
        f"background:#eee;vertical-align:middle'><span style='display:inline-block;"
        f"width:{w}px;height:9px;background:{color}'></span></span>"
    )


def _phase(k: int, phases: list[str]) -> str:
    return f"phase {k} ({phases[k - 1]})" if 1 <= k <= len(phases) else f"phase {k}"


def advice_text(turn: Turn, advice: Any) -> str:
    if turn.kind == Kind.LEADER:
        return leader_summary(advice)
    if turn.kind == Kind.CHINA:
        return china_summary(advice)
    if turn.kind == Kind.PRESSURER:
        return "pressure " + (
            ", ".join(f"{k} {u:.2f}" for k, u in advice.pressure.items()) or "nobody"
        )
    return OPTION_LABEL.get(advice.action, advice.action).lower()


def leader_html(v, phases: list[str]) -> str:
    truce = " · <b>a truce with China is in force</b>" if v.truce_active else ""
    rows = []
    for mb in sorted(v.members, key=lambda x: (-x.strain, x.id)):
        color = "#d62728" if mb.strain >= 1 else "#e6a100" if mb.strain >= 0.7 else "#1f5fbf"
        rows.append(
            f"<tr><td {TD}>{_e(mb.id)}</td><td {TD}>{_e(mb.name)}</td>"
            f"<td {TDR}>{mb.strain:.2f}</td><td {TD}>{_bar(mb.strain, color)}</td>"
            f"</tr>"
        )
    members = (
        f"<table {TABLE}><tr><th {TH}>Member</th><th></th>"
        f"<th {THR}>strain</th><th {TH}>(1 = about to leave)</th></tr>" + "".join(rows) + "</table>"
    )
    if v.may_invite and v.candidates:
        cands = ", ".join(
            f"{_e(c.name)} ({_e(c.id)}) {c.gain:+.3f}"
            for c in sorted(v.candidates, key=lambda c: (-c.gain, c.id))
        )
        invite = f"<p>You may invite one of (gain if it signed): {cands}.</p>"
    else:
        invite = (
            "<p>No invitation is possible this quarter (credibility too low, "
            "invitations off, or one too recent).</p>"
        )
    return (
        f"<p>Credibility <b>{v.credibility:.2f}</b> · China's escalation "
        f"{v.china_escalation:.2f}{truce} · price index {v.price_index:.2f} · the "
        f"signatories control {v.controlled_phases} of {len(phases)} phases; the bottleneck is "
        f"<b>{_e(_phase(v.bottleneck, phases))}</b>.</p>"
        f"<p>Budgets: side payments <b>US${v.side_payment_budget:.2f}bn</b> (your advisers "
        f"pay at most {v.side_payment_targets} members); public investment "
        f"<b>US${v.investment_budget:.2f}bn</b> (bottleneck money "
        f"{v.leader_investment:.2f}, refining money {v.refining_investment:.2f} for "
        f"{_e(', '.join(v.refining_investors) or 'nobody')}).</p>{members}{invite}"
    )


def _targets_table(targets, chokepoints: bool = True) -> str:
    head = (
        f"<tr><th {TH}>Target</th><th></th><th {THR}>value</th>"
        f"<th {THR}>exposure</th><th {THR}>resistance</th>"
        + (f"<th {THR}>chokepoints</th>" if chokepoints else "")
        + "</tr>"
    )
    rows = "".join(
        f"<tr><td {TD}>{_e(t.id)}</td><td {TD}>{_e(t.name)}</td><td {TDR}>{t.value:.3f}</td>"
        f"<td {TDR}>{t.exposure:.2f}</td><td {TDR}>{t.resistance:.2f}</td>"
        + (f"<td {TDR}>{t.chokepoints:.3f}</td>" if chokepoints else "")
        + "</tr>"
        for t in targets
    )
    return (
        f"<table {TABLE}>{head}{rows}</table><small>value: its share of the alliance; "
        f"exposure: its exports to you, % of GDP"
        + ("; chokepoints: its frontier shares in phases you cannot supply" if chokepoints else "")
        + ".</small>"
    )


def china_html(v) -> str:
    truce = "<b>a truce is in force</b>" if v.truce_active else "no truce"
    return (
        f"<p>Budget <b>{v.budget:.2f} units</b> (at most {v.max_per_target:.2f} per "
        f"target) · escalation <b>{v.escalation:.2f}</b> · export controls up to "
        f"<b>{v.max_controls:.2f}</b> · inducement share now {v.inducement_share:.2f} · "
        f"{truce}.</p><p>The alliance's refining share {v.alliance_refining_share:.1%} · "
        f"US credibility {v.credibility:.2f} · spent in the last three quarters "
        f"{v.spent_last_three:.2f} (your advisers seek a truce when a year's spending "
        f"reaches {v.truce_cost:g}; controls cost {v.control_cost:g} per unit of "
        f"stringency).</p>{_targets_table(v.targets)}"
    )


def pressurer_html(v) -> str:
    follow = (
        f"<p>In the counter-alliance you follow China's priorities: "
        f"{_e(', '.join(v.china_ranking))}.</p>"
        if v.china_ranking
        else ""
    )
    return (
        f"<p>Budget <b>{v.budget:.2f} units</b> (at most {v.max_per_target:.2f} per "
        f"target) · US credibility {v.credibility:.2f}.</p>{follow}"
        f"{_targets_table(v.targets, chokepoints=False)}"
    )


def member_html(v) -> str:
    share = v.grievance / v.threshold if v.threshold > 0 else 0.0
    color = "#d62728" if share >= 1 else "#e6a100" if share >= 0.7 else "#1f5fbf"
    pains = sum(v.pains.values())
    pain_text = ", ".join(f"{k} {x:.2f}" for k, x in v.pains.items()) or "none"
    pressed = (
        ", ".join(f"{short_name(k)} {u:.2f}" for k, u in v.pressure_received.items() if u) or "none"
    )
    status = {
        Status.MEMBER: "a member (signatory)",
        Status.PARTICIPANT: "a participant (not signed)",
        Status.DEFECTED: "a former member (defected)",
        Status.OUTSIDE: "outside the alliance",
    }
    invited = " · <b>the US has invited you to sign</b>" if v.invited else ""
    join = (
        f"<p>Net benefit you expect from signing: <b>{v.join_balance:+.2f}</b></p>"
        if v.status != Status.MEMBER
        else ""
    )
    return (
        f"<p>You are {_e(status.get(v.status, v.status))}{invited}.</p>"
        f"<p class='pax-seat-grievance'>Grievance <b>{v.grievance:.2f}</b> of your "
        f"breaking point {v.threshold:.2f} {_bar(share, color, 160)}</p>"
        f"<p>This quarter: benefit of membership <b>{v.benefit:.2f}</b> vs pains "
        f"<b>{pains:.2f}</b> ({_e(pain_text)}) · pressure received: {_e(pressed)} · "
        f"side payment US${v.side_payment:.2f}bn · new investment US${v.inflow:.2f}bn · "
        f"peers who left {v.peers_left:.0%}</p>{join}"
        f"<p><small>The alliance: {plural(v.members, 'member')} · US credibility "
        f"{v.credibility:.2f} · secure supply {v.secure_supply:.0%} · price index "
        f"{v.price_index:.2f}</small></p>"
    )


def view_html(turn: Turn, phases: list[str]) -> str:
    v = turn.view
    if turn.kind == Kind.LEADER:
        return leader_html(v, phases)
    if turn.kind == Kind.CHINA:
        return china_html(v)
    if turn.kind == Kind.PRESSURER:
        return pressurer_html(v)
    return member_html(v)


def waiting_text(game: Game, actor: str | None) -> str:
    if game.error:
        return _e(game.error)
    if actor is None:
        return "You have no seat in this game."
    if game.status == "finished":
        return "The game is over."
    if game.status == "closed":
        return "The game is closed."
    if actor in game.pending:
        others = [game.seats[a].name for a in game.waiting_for()]
        return (
            "You have chosen; waiting for the others"
            + (f" ({_e(', '.join(others))})" if others else "")
            + "…"
        )
    if game.status == "open":
        return "The game has not started yet."
    if game.status == "paused":
        return "The game is paused."
    return "Waiting for the next quarter…"


# -------------------------------------------------------------------- components ------
@solara.component
def DecisionPanel(game: Game, holder: str, version: int):
    """The seat of ``holder`` in ``game``: its turn and levers, or why it waits."""
    actor = game.seat_of(holder)
    turn = game.turn_for(actor) if actor is not None else None
    with solara.Card(margin=0, classes=["pax-seat-panel"]):
        if turn is None:
            over = game.status in ("finished", "closed")
            solara.HTML(
                tag="div",
                unsafe_innerHTML=waiting_text(game, actor),
                classes=["pax-seat-waiting", *(["pax-seat-over"] if over else [])],
                style="padding: 8px; color: #444",
            )
            return
        phases = [ph.name for ph in game.model.world.phases]
        # a new turn is a new object: keyed by it, the form starts again from its advice
        TurnForm(game, holder, turn, phases).key(f"turn-{id(turn)}")


@solara.component
def TurnForm(game: Game, holder: str, turn: Turn, phases: list[str]):
    advice = solara.use_memo(lambda: rule_choice(turn), [])
    error = solara.use_reactive(None)
    sent = solara.use_reactive(False)
    name = game.seats[turn.actor].name if turn.actor in game.seats else turn.actor

    def send(choice: Any) -> None:
        if game.turn_for(turn.actor) is not turn:  # a page behind the game: never answer
            error.set("turn: this decision is no longer open (the round has ended)")
            return
        try:
            game.submit(holder, choice)
        except ValueError as e:  # PolicyError, SeatError, an unreadable entry
            error.set(str(e))
            return
        error.set(None)
        sent.set(True)

    def send_built(build) -> None:
        try:
            choice = build()
        except ValueError as e:
            error.set(str(e))
            return
        send(choice)

    if sent.value:  # until the parent redraws with the next turn
        solara.HTML(
            tag="div",
            unsafe_innerHTML="You have chosen; the game goes on…",
            classes=["pax-seat-waiting"],
            style="padding: 8px; color: #444",
        )
        return
    v = turn.view
    solara.HTML(
        tag="div",
        classes=["pax-seat-turn"],
        unsafe_innerHTML=(f"<b>{_e(v.when)}</b> (quarter {v.quarter}): <b>{_e(name)}</b> decides"),
        style="font-size: 1.05em; margin-bottom: 4px",
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=view_html(turn, phases),
        classes=["pax-seat-view"],
        style="font-size: 0.9em",
    )
    solara.HTML(
        tag="div",
        classes=["pax-seat-advice-text"],
        unsafe_innerHTML=(f"<i>Your advisers would:</i> {_e(advice_text(turn, advice))}"),
        style="margin: 4px 0 6px 0; font-size: 0.9em",
    )
    if turn.kind == Kind.MEMBER:
        with solara.Row(style={"flex-wrap": "wrap"}):
            for option in v.options:
                solara.Button(
                    OPTION_LABEL.get(option, option),
                    color="primary",
                    outlined=option != advice.action,
                    on_click=lambda o=option: send(MemberChoice(o)),
                    classes=[OPTION_CLASS.get(option, "pax-seat-option")],
                )
            solara.Button(
                "Take the advisers' advice",
                text=True,
                on_click=lambda: send(rule_choice(turn)),
                classes=["pax-seat-advice"],
            )
    else:
        build = {
            Kind.LEADER: LeaderLevers,
            Kind.CHINA: ChinaLevers,
            Kind.PRESSURER: PressurerLevers,
        }[turn.kind]
        build(turn, advice, send_built)
    if error.value:
        solara.Error(error.value, classes=["pax-seat-error"])


def _buttons(submit, turn: Turn, send_built) -> None:
    with solara.Row():
        solara.Button(
            "Submit",
            color="primary",
            on_click=lambda: send_built(submit),
            classes=["pax-seat-submit"],
            icon_name="mdi-send",
        )
        solara.Button(
            "Take the advisers' advice",
            outlined=True,
            on_click=lambda: send_built(lambda: rule_choice(turn)),
            classes=["pax-seat-advice"],
        )


def _slider(
    label: str, value: solara.Reactive, hi: float, advised: float, css: str, param: str
) -> None:
    """A lever as a slider, with what it means (``param``'s description and unit in
    ``parameters.toml``), its range this quarter and the advisers' value under it."""
    spec = registry()[param]

    def set_value(x):
        x = min(max(float(x), 0.0), hi)
        for near in (advised, hi, 0.0):
            if abs(x - near) < SNAP:
                x = near
        value.set(x)

    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"{label}: <b>{value.value:.2f}</b>",
        style="font-size: 0.9em; margin-top: 6px",
    )
    rv.Slider(
        v_model=value.value,
        min=0,
        max=hi,
        step=0.01,
        hide_details=True,
        on_v_model=set_value,
        class_=css,
        attributes={"aria-label": label},
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=html.escape(
            f"{spec.doc} Unit: {spec.unit}. Range 0 to {hi:.2f} this quarter; the advisers "
            f"say {advised:.2f}."
        ),
        classes=["pax-help", f"pax-help-{css}"],
        style="font-size: 0.78em; color: #555; line-height: 1.3",
    )


@solara.component
def LeaderLevers(turn: Turn, advice: LeaderChoice, send_built):
    v = turn.view
    d_pays, d_invest = pairs_text(advice.side_payments), investments_text(advice.investments)
    pays = solara.use_reactive(d_pays)
    invite = solara.use_reactive(advice.invite or "")
    invest = solara.use_reactive(d_invest)
    truce = solara.use_reactive(bool(advice.truce))

    def submit() -> LeaderChoice:
        unchanged = (
            pays.value == d_pays
            and invest.value == d_invest
            and (invite.value or None) == advice.invite
            and truce.value == advice.truce
        )
        if unchanged:
            return advice
        return LeaderChoice(
            side_payments=dict(advice.side_payments)
            if pays.value == d_pays
            else parse_pairs(pays.value, "side_payments"),
            invite=invite.value or None,
            investments=list(advice.investments)
            if invest.value == d_invest
            else parse_investments(invest.value),
            truce=truce.value,
        )

    solara.InputText(
        "Side payments (member=US$bn)",
        value=pays,
        continuous_update=True,
        message=f"e.g. JPN=0.5, KOR=1; budget US${v.side_payment_budget:.2f}bn; blank: none",
        classes=["pax-seat-payments"],
    )
    if v.may_invite and v.candidates:
        items = [{"text": "nobody", "value": ""}] + [
            {"text": f"{c.name} ({c.id}), gain {c.gain:+.3f}", "value": c.id}
            for c in sorted(v.candidates, key=lambda c: (-c.gain, c.id))
        ]
        rv.Select(
            label="Invite",
            v_model=invite.value,
            items=items,
            hide_details=True,
            on_v_model=lambda x: invite.set(x or ""),
            class_="pax-seat-invite",
        )
    solara.InputText(
        "Public investment (member:phase=US$bn)",
        value=invest,
        continuous_update=True,
        classes=["pax-seat-invest"],
        message=f"e.g. USA:2=2.5 puts US$2.5bn into phase 2 in the US; budget "
        f"US${v.investment_budget:.2f}bn; blank: none",
    )
    rv.Checkbox(
        label="Agree a truce with China over your allies' heads (costs credibility)",
        v_model=truce.value,
        on_v_model=lambda x: truce.set(bool(x)),
        disabled=v.truce_active,
        hide_details=True,
        class_="pax-seat-truce",
    )
    _buttons(submit, turn, send_built)


def _pressure_input(label: str, pressure, v, example: str) -> None:
    """China's or another pressurer's pressure, as target=units pairs, with its limits."""
    solara.InputText(
        label,
        value=pressure,
        continuous_update=True,
        classes=["pax-seat-pressure"],
        message=f"e.g. {example}; budget {v.budget:.2f}, at most "
        f"{v.max_per_target:.2f} each; blank: none",
    )


@solara.component
def ChinaLevers(turn: Turn, advice: ChinaChoice, send_built):
    v = turn.view
    d_pressure = pairs_text(advice.pressure)
    pressure = solara.use_reactive(d_pressure)
    share = solara.use_reactive(float(advice.inducement_share))
    controls = solara.use_reactive(float(advice.controls))
    truce = solara.use_reactive(bool(advice.truce))

    def submit() -> ChinaChoice:
        same_pressure = pressure.value == d_pressure
        if (
            same_pressure
            and share.value == advice.inducement_share
            and controls.value == advice.controls
            and truce.value == advice.truce
        ):
            return advice
        return ChinaChoice(
            pressure=dict(advice.pressure)
            if same_pressure
            else parse_pairs(pressure.value, "pressure"),
            inducement_share=share.value,
            controls=controls.value,
            truce=truce.value,
            ranking=list(advice.ranking) if same_pressure and advice.ranking else None,
        )

    if v.budget > 0 and v.targets:
        _pressure_input(
            "Pressure (target=units, in priority order)", pressure, v, "SGP=1.25, QAT=1"
        )
    else:
        solara.Text(
            "No pressure this quarter: the budget is 0"
            + (" (a truce is in force)." if v.truce_active else ".")
        )
    _slider(
        "Share of units spent on inducements rather than denial",
        share,
        1.0,
        float(advice.inducement_share),
        "pax-seat-inducement",
        "inducement_share",
    )
    if v.max_controls > 0:
        _slider(
            f"Export-control stringency on refined inputs (up to {v.max_controls:.2f})",
            controls,
            float(v.max_controls),
            float(advice.controls),
            "pax-seat-controls",
            "control_stringency",
        )
    else:
        solara.Text(
            "No export controls are possible at this escalation.", style={"font-size": "0.9em"}
        )
    rv.Checkbox(
        label="Seek a truce from next quarter",
        v_model=truce.value,
        on_v_model=lambda x: truce.set(bool(x)),
        disabled=v.truce_active,
        hide_details=True,
        class_="pax-seat-truce",
    )
    _buttons(submit, turn, send_built)


@solara.component
def PressurerLevers(turn: Turn, advice: PressurerChoice, send_built):
    v = turn.view
    d_pressure = pairs_text(advice.pressure)
    pressure = solara.use_reactive(d_pressure)

    def submit() -> PressurerChoice:
        if pressure.value == d_pressure:
            return advice
        return PressurerChoice(parse_pairs(pressure.value, "pressure"))

    _pressure_input("Pressure (target=units)", pressure, v, "ARE=0.3")
    _buttons(submit, turn, send_built)


@solara.component
def GameChart(game: Game, make, key, css: str):
    """A figure of a game's model (``make(model)``), drawn between the model's
    computations, redrawn only when ``key`` changes. Used by the Play tab and classroom."""

    def draw() -> tuple[dict, int]:
        with game.reading() as m:
            return make(m), m.steps

    figure, steps = solara.use_memo(draw, [id(game), key])
    plot.Plot(figure, css, version=f"{id(game)}-{steps}")
