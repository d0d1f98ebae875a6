"""The app's colours and type sizes, in one place, so every chart (and the map) shows a
status, a pressurer or a series in the same colour, and its text in the same sizes.

Sizes are CSS pixels: at 1024x768 a chart's smallest text (ticks, legend, hover) is
:data:`TEXT_PX` high, its titles :data:`TITLE_PX`.
"""

from __future__ import annotations

from agents.state import Status

TEXT_PX = 13  # ticks, legends, hover labels, annotations
TITLE_PX = 15  # chart titles
FONT = "Roboto, 'Helvetica Neue', Arial, sans-serif"  # Vuetify's font, then fallbacks

STATUS_COLOR = {
    Status.MEMBER: "#1f5fbf",
    Status.PARTICIPANT: "#7fb8e6",
    Status.DEFECTED: "#d62728",
    Status.OUTSIDE: "#c7c7c7",
}
STATUS_LABEL = {
    Status.MEMBER: "signatory (member)",
    Status.PARTICIPANT: "participant (not signed)",
    Status.DEFECTED: "defected",
    Status.OUTSIDE: "outside the alliance",
}
STATUS_ORDER = (Status.MEMBER, Status.PARTICIPANT, Status.DEFECTED, Status.OUTSIDE)
PRESSURE_COLOR = {"CHN": "#c0392b", "RUS": "#8e5a2b", "BRA": "#2e8b57", "EUR": "#7d3c98"}
PRESSURER_FILL = "#f2b8a8"  # a pressurer's own territory on the map
CREDIBILITY = "#6a3d9a"
CAPITAL = {
    "capital_committed": "#1b9e77",
    "capital_pipeline": "#66a61e",
    "capital_stranded": "#e7298a",
}
PRICE = "#d95f02"
SURVIVAL = STATUS_COLOR[Status.MEMBER]
TIE = "#bbbbbb"
FUTURE = "#f4f4f4"  # the quarters still to come
BOTTLENECK = STATUS_COLOR[Status.DEFECTED]
# the supply chain's shares, 0-100 %: ColorBrewer's Blues, white to dark blue
HEAT = [
    [0.0, "rgb(247,251,255)"],
    [0.125, "rgb(222,235,247)"],
    [0.25, "rgb(198,219,239)"],
    [0.375, "rgb(158,202,225)"],
    [0.5, "rgb(107,174,214)"],
    [0.625, "rgb(66,146,198)"],
    [0.75, "rgb(33,113,181)"],
    [0.875, "rgb(8,81,156)"],
    [1.0, "rgb(8,48,107)"],
]
