"""``pax-silica table`` and ``pax-silica scenarios``."""

from __future__ import annotations

import csv
import io
import json

from experiments.args import load_from_args
from model.scenario import load_scenario, preset_names
from model.table import Table, match_paper, paper_table
from model.world import member_sets


def register(sub, add_scenario_args) -> None:
    t = sub.add_parser("table", help="the paper's phase table, computed from the data")
    add_scenario_args(t)
    t.add_argument(
        "--members",
        help="a member set name (" + ", ".join(member_sets()) + ") or a comma list of actor ids",
    )
    t.add_argument("--format", choices=["text", "markdown", "csv", "json"], default="text")
    t.set_defaults(func=run)

    s = sub.add_parser("scenarios", help="list the scenario presets")
    s.set_defaults(func=list_scenarios)


def build_table(args) -> Table:
    scen = load_from_args(args)
    if args.members is not None:  # a set name or a comma list, checked like --set members=...
        token = args.members.strip()
        key = "member_set" if token in member_sets() else "members"
        scen = scen.with_overrides([f"{key}={token}"], source="--members")
    return paper_table(scen.world(), scen.members, scen.participants, scen.params)


def run(args) -> int:
    print(render(build_table(args), args.format), end="")
    return 0


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def render(table: Table, fmt: str) -> str:
    """The table as text, markdown, csv or json."""
    rows = table.rows
    paper = match_paper(table)
    if fmt == "json":
        return (
            json.dumps(
                {
                    "members": table.members,
                    "participants": table.participants,
                    "bottleneck_phase": table.bottleneck,
                    "supply_security": table.supply_security,
                    "phases": [r.as_dict() for r in rows],
                    "paper_contributors": {
                        "entries": paper.entries,
                        "named": [list(e) for e in paper.named],
                        "missing": [list(e) for e in paper.missing],
                    },
                },
                indent=2,
            )
            + "\n"
        )
    header = [
        "phase",
        "name",
        "advantage",
        "signatory contributors",
        "signatories",
        "aligned",
        "China",
        "covered",
        "controlled",
        "leader (frontier)",
        "non-signatory leads",
    ]
    body = [
        [
            str(r.phase),
            r.name,
            r.advantage,
            ", ".join(r.top_contributors) or "-",
            _pct(r.signatory_share),
            _pct(r.aligned_share),
            _pct(r.china_share),
            "yes" if r.covered else "no",
            "yes" if r.controlled else "no",
            r.leader + (f" ({r.frontier_segment})" if r.frontier_segment else ""),
            "yes" if r.led_by_non_signatory_participant else "no",
        ]
        for r in rows
    ]
    foot = (
        f"Bottleneck: phase {table.bottleneck} "
        f"({rows[table.bottleneck - 1].name}); supply security "
        f"{table.supply_security:.3f} (Leontief minimum of self-sufficiency)."
    )
    missing = ", ".join(f"{a} (phase {p})" for p, a in paper.missing) or "none"
    paper_line = (
        f"The paper's contributors column: {len(paper.named)} of its {paper.entries} entries "
        f"named (not named: {missing})."
    )
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(header)
        w.writerows(body)
        return buf.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(b) + " |" for b in body]
        return "\n".join(lines) + "\n\n" + foot + "\n\n" + paper_line + "\n"
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(header))]
    out.append("  ".join("-" * wd for wd in widths))
    out += ["  ".join(c.ljust(widths[i]) for i, c in enumerate(b)) for b in body]
    out.append("")
    out.append(f"Members: {', '.join(table.members)}")
    out.append(f"Participants: {', '.join(table.participants) or '-'}")
    out.append(foot)
    out.append(paper_line)
    return "\n".join(out) + "\n"


def list_scenarios(args) -> int:
    for name in preset_names():
        s = load_scenario(name)
        print(f"{name:<20} {s.description}")
    return 0
