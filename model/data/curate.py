"""Rebuild ``capacity.csv`` from the shared calibration figures.

Run from the repository root with the shared folder beside it::

    uv run python model/data/curate.py ../shared/calibration

This script is provenance, not part of the model: the model reads the committed
``capacity.csv``. Every curation step (which calibration group feeds which phase and
basis, how calibration countries map to model actors, the project's additions carved
out of a group's "Rest of world" residual) is written here, in
``capacity_groups.csv`` or in ``capacity_additions.csv`` so that anyone can redo it and see
each choice.
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
    "Ireland": "EUR",
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
    (2, "volume"): "2.REE-2024",  # the 2019 vintage ("2") is alternatives/refining_2019.toml
    (3, "volume"): "3",
    (4, "volume"): "4",
    (5, "volume"): "5",
    (6, "volume"): "6",
    (7, "volume"): "7.lt20nm-2025",  # capacity_groups.csv; 2023's "7.le16nm-2023" is
    # alternatives/leading_edge_2022.toml, with the 2022 frontier "7"
    (8, "volume"): "8",
    (9, "volume"): "9",
    (10, "volume"): "10",
    (11, "volume"): "11",
    (12, "volume"): "12",
    (3, "frontier"): "3.photoresist",
    (6, "frontier"): "6.EUV",
    (7, "frontier"): "7.lt10nm-2024",  # capacity_groups.csv
    (9, "frontier"): "9.HBM",
}

# The project's rows not read from the calibration file: each is carved out of the
# "Rest of world" residual of its group (the ``carved_from`` column), never out of a read
# figure. A carve larger than the residual is refused, so no group is ever rescaled.
ADDITIONS = Path(__file__).with_name("capacity_additions.csv")

# The project's own groups, read from sources the calibration set does not hold, in the
# calibration file's format (its ``phase_id`` column is the group). A group id the
# calibration set also has is refused: no group is ever taken from two files.
PROJECT_GROUPS = Path(__file__).with_name("capacity_groups.csv")


def tag_of(note: str) -> str:
    for tag in ("READ/ANCHOR", "DERIVED ESTIMATE", "ESTIMATE", "ANCHOR", "READ"):
        if note.startswith(tag) or note.startswith(tag.title()):
            return tag
    return "RESIDUAL"


def read_additions(path: Path) -> dict[tuple[int, str], list[dict]]:
    """The additions file by (phase, basis)."""
    out: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for r in csv.DictReader(open(path, encoding="utf-8")):
        if r["carved_from"] != "ROW":
            raise ValueError(
                f"{path.name}: {r['actor']} in phase {r['phase_id']}: only the ROW "
                f"residual can be carved from, got {r['carved_from']!r}"
            )
        out[(int(r["phase_id"]), r["basis"])].append(r)
    return out


def main(
    calibration: Path, out: Path, additions: Path = ADDITIONS, groups: Path = PROJECT_GROUPS
) -> None:
    rows = list(csv.DictReader(open(calibration / "phase_shares.csv", encoding="utf-8")))
    by_group: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_group[r["phase_id"]].append(r)
    own = list(csv.DictReader(open(groups, encoding="utf-8")))
    clash = {r["phase_id"] for r in own} & set(by_group)
    if clash:
        raise ValueError(f"{groups.name}: groups also in the calibration set: {sorted(clash)}")
    for r in own:
        by_group[r["phase_id"]].append(r)
    added = read_additions(additions)
    unused = set(added) - set(GROUPS)
    if unused:
        raise ValueError(f"{additions.name}: no calibration group for {sorted(unused)}")
    out_rows = []
    for (phase, basis), gid in sorted(GROUPS.items()):
        agg: dict[str, list] = {}
        for r in by_group[gid]:
            actor = ACTOR_OF.get(r["country"], "ROW")
            share = float(r["share"])
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
        carved = []
        for a in added.get((phase, basis), []):
            if a["group"] != gid:
                raise ValueError(
                    f"{additions.name}: phase {phase} {basis} uses group {gid}, not {a['group']}"
                )
            if a["actor"] in agg:
                raise ValueError(f"{additions.name}: {a['actor']} already has a row in {gid}")
            share = float(a["share_pct"])
            if share > agg["ROW"][0] + 1e-9:
                raise ValueError(
                    f"{additions.name}: {a['actor']} {share}% is more than the "
                    f"{agg['ROW'][0]:.3g}% residual of group {gid}"
                )
            agg["ROW"][0] -= share
            agg[a["actor"]] = [share, a["year"], a["source_key"], a["note"], a["tag"]]
            carved.append(f"{a['actor']} {a['share_pct']}")
        if carved:
            agg["ROW"][3] += f" | less the project's additions ({ADDITIONS.name}): " + ", ".join(
                carved
            )
        for actor, (share, year, src, note, *tag) in agg.items():
            out_rows.append(
                {
                    "phase_id": phase,
                    "basis": basis,
                    "group": gid,
                    "actor": actor,
                    "share_pct": round(share, 3) + 0.0,  # + 0.0: a rounded -0.0 residual is 0.0
                    "year": year,
                    "source_key": src,
                    "tag": tag[0] if tag else tag_of(note.split(": ", 1)[-1]),
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
