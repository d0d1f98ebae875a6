"""The run on screen in words, for every page that shows a model (the Run tab, the Play
tab, classroom mode): the status line and the event log."""

from __future__ import annotations

import html

from model.wording import fate, plural

EVENT_COLOR = {
    "defection": "#d62728",
    "collapse": "#000000",
    "accession": "#1f5fbf",
    "invitation": "#7fb8e6",
    "refusal": "#8c8c8c",
    "reversal": "#6a3d9a",
    "truce": "#2ca02c",
    "escalation": "#c0392b",
    "export_control": "#d95f02",
    "eu_turns": "#7d3c98",
}


def status_line(m) -> str:
    """The model's quarter, membership, credibility, capital and prices, and how it ended."""
    horizon = m.p["steps"]
    head = (
        f"<b>{m.when()}</b> (quarter {m.steps} of {horizon})"
        if m.steps
        else f"<b>Start, end of {m.when()[:4]}</b> (quarter 0 of {horizon})"
    )
    if m.collapsed:
        ending = (
            f"<span style='color:#d62728'><b>The alliance {fate(m)}</b>: "
            f"{html.escape(m.collapse_reason)}.</span>"
        )
    elif m.steps >= horizon and not m.running:  # the last quarter is over, not under way
        ending = f"<b>The alliance {fate(m)}</b>."
    else:
        ending = "The alliance stands."
    return (
        f"{head} · {plural(m.members, 'member')}, {plural(m.participants, 'participant')}, "
        f"{plural(m.defectors, 'defector')} · credibility {m.credibility:.2f} · "
        f"capital committed US${m.capital_committed:,.0f}bn · price index "
        f"{m.price_index:.2f} · {ending}"
    )


def event_log_html(m, limit: int = 200) -> str:
    """The last ``limit`` events of the model, newest first, as an HTML table."""
    rows = []
    for e in reversed(m.events[-limit:]):
        color = EVENT_COLOR.get(e.kind, "#555555")
        text = e.text.split(": ", 1)[1] if e.text.startswith(e.when) else e.text
        rows.append(
            f"<tr><td style='white-space:nowrap;padding:2px 8px 2px 0;color:#555'>{e.when}"
            f"</td><td style='padding:2px 8px 2px 0'><span style='background:{color};"
            f"color:white;border-radius:8px;padding:0 6px;font-size:0.8em'>"
            f"{e.kind.replace('_', ' ')}</span></td><td style='padding:2px 0'>"
            f"{html.escape(text)}</td></tr>"
        )
    if not rows:
        body = (
            "<p style='color:#595959'>Nothing has happened yet: press Step or Play. "
            "Defections, accessions, invitations, US policy reversals, truces and "
            "export controls appear here, newest first.</p>"
        )
    else:
        body = (
            "<table class='pax-events' style='border-collapse:collapse;font-size:0.85em'>"
            + "".join(rows)
            + "</table>"
        )
    return f"<div style='max-height:470px;overflow-y:auto'>{body}</div>"
