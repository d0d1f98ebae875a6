"""Rebuild ``capacity.csv`` from the shared calibration figures.

Run from the repository root with the shared folder beside it::

    uv run python model/data/curate.py ../shared/calibration

This script is provenance, not part of the model: the model reads the committed
``capacity.csv``. Every curation step (which calibration group feeds which phase and
basis, how calibration countries map to model actors, the one split of a residual)
is written here so that anyone can redo it and see each choice.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

# Calibration country label -> model actor id. Anything not listed goes to ROW.
ACTOR_OF = {
    "United States": "USA",
    "United States (North America)": "USA",
    "Australia": "AUS",
    "Greece": "GRC",
    "India": "IND",
    "Israel": "ISR",
    "Japan": "JPN",
    "Qatar": "QAT",
    "South Korea": "KOR",
    "Singapore": "SGP",
    "Sweden": "SWE",
    "UAE": "ARE",
    "United Kingdom": "GBR",
    "Taiwan": "TWN",
    "Netherlands": "NLD",
    "Canada": "CAN",
    "Germany": "EUR",
    "EU (Europe region)": "EUR",
    "EU (other: Austria, Italy, Hungary, France)": "EUR",
    "EU (other: Austria)": "EUR",
    "EU (other members)": "EUR",
    "Finland": "EUR",
    "Belgium": "EUR",
    "China": "CHN",
    "Russia": "RUS",
    "Brazil": "BRA",
    "Malaysia": "MYS",
    "Vietnam": "VNM",
    "Myanmar": "MMR",
    "Rest of world": "ROW",
}

# (phase, basis) -> calibration group. Volume = the phase's whole output; frontier = the
# concentrated segment on which control of the phase rests (DESIGN.md section 3).
GROUPS = {
    (1, "volume"): "1",
    (2, "volume"): "2",
    (3, "volume"): "3",
    (4, "volume"): "4",
    (5, "volume"): "5",
    (6, "volume"): "6",
    (7, "volume"): "7.le16nm-2023",
    (8, "volume"): "8",
    (9, "volume"): "9",
    (10, "volume"): "10",
    (11, "volume"): "11",
    (12, "volume"): "12",
    (3, "frontier"): "3.photoresist",
    (6, "frontier"): "6.EUV",
    (7, "frontier"): "7",
    (9, "frontier"): "9.HBM",
}

# The only figures not read from the calibration file: phase 2's 1% "Rest of world"
# residual (IEA 2019: "Estonia, Japan, US, others") split by the plants it names.
PHASE2_RESIDUAL_SPLIT = {
    "USA": (
        0.4,
        "ESTIMATE: split of IEA's 1% residual; MP Materials (Mountain Pass) separating "
        "NdPr oxide since 2023, the largest non-Asian separation line",
    ),
    "EUR": (0.3, "ESTIMATE: split of IEA's 1% residual; NPM Silmet (Sillamae, Estonia)"),
    "JPN": (0.2, "ESTIMATE: split of IEA's 1% residual; separation and recycling lines in Japan"),
    "ROW": (0.1, "ESTIMATE: remainder of IEA's 1% residual"),
}


def tag_of(note: str) -> str:
    for tag in ("READ/ANCHOR", "DERIVED ESTIMATE", "ESTIMATE", "ANCHOR", "READ"):
        if note.startswith(tag) or note.startswith(tag.title()):
            return tag
    return "RESIDUAL"


def main(calibration: Path, out: Path) -> None:
    rows = list(csv.DictReader(open(calibration / "phase_shares.csv", encoding="utf-8")))
    by_group: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_group[r["phase_id"]].append(r)
    out_rows = []
    for (phase, basis), gid in sorted(GROUPS.items()):
        agg: dict[str, list] = {}
        for r in by_group[gid]:
            actor = ACTOR_OF.get(r["country"], "ROW")
            share = float(r["share"])
            if phase == 2 and basis == "volume" and actor == "ROW":
                continue  # replaced by the documented split below
            note = (
                r["note"]
                if actor == ACTOR_OF.get(r["country"])
                else (f"{r['country']} folded into ROW: {r['note']}")
            )
            if actor in agg:
                agg[actor][0] += share
                agg[actor][3] += f" | {r['country']}: {r['note']}"
            else:
                agg[actor] = [share, r["year"], r["source_key"], f"{r['country']}: {note}"]
        if phase == 2 and basis == "volume":
            for actor, (share, note) in PHASE2_RESIDUAL_SPLIT.items():
                agg[actor] = [share, "2019", "IEA_2021_CRITMIN;EST_PHASE2_RESIDUAL", note]
        for actor, (share, year, src, note) in agg.items():
            out_rows.append(
                {
                    "phase_id": phase,
                    "basis": basis,
                    "group": gid,
                    "actor": actor,
                    "share_pct": round(share, 3) + 0.0,  # + 0.0: a rounded -0.0 residual is 0.0
                    "year": year,
                    "source_key": src,
                    "tag": tag_of(note.split(": ", 1)[-1]),
                    "note": note,
                }
            )
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(out_rows[0]))
        w.writeheader()
        w.writerows(out_rows)
    print(f"wrote {len(out_rows)} rows to {out}")


if __name__ == "__main__":
    cal = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/calibration")
    main(cal, Path(__file__).with_name("capacity.csv"))
