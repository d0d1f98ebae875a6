"""The frame of every page: Solara's app layout, made to work on a phone and for a screen
reader (issue 14, point 7).

* On a narrow screen (under Vuetify's 960 px break point, where the controls' drawer
  covers the page) the drawer starts closed; the menu button opens it.
* The page says its language (``lang="en"``), lets the reader zoom (Solara's page asks
  the browser not to), names the menu button and the spinners, and leaves no button
  inside another (the scenario picker's box, a Vuetify "button" around its own input, is
  a combobox): what axe-core, the accessibility checker of the browser tests, finds
  otherwise. These are attributes of Solara's page template and of Vuetify's widgets,
  which the app cannot set where they are made, so a small script sets them once the
  page is up and whenever they reappear.
"""

from __future__ import annotations

import ipyvuetify as v
import solara
import traitlets

MENU_LABEL = "Show or hide the controls"


class PageFixes(v.VuetifyTemplate):
    """Sets the page's language, zoom and accessible names; reports a narrow screen."""

    narrow = traitlets.Bool(False).tag(sync=True)
    template = traitlets.Unicode(
        """<template><span class="pax-page-fixes" style="display:none"></span></template>
<script>
module.exports = {
  mounted() {
    document.documentElement.lang = "en";
    const vp = document.querySelector("meta[name=viewport]");
    if (vp) { vp.setAttribute("content", "width=device-width, initial-scale=1"); }
    this.narrow = window.innerWidth < 960;
    const fix = () => {
      document.querySelectorAll(".v-app-bar__nav-icon:not([aria-label])").forEach(
        (b) => b.setAttribute("aria-label", "MENU_LABEL"));
      document.querySelectorAll("[role=progressbar]:not([aria-label])").forEach(
        (p) => p.setAttribute("aria-label", "Loading"));
      document.querySelectorAll(".v-select .v-input__slot[role=button]").forEach(
        (s) => s.setAttribute("role", "combobox"));
    };
    fix();
    this.observer = new MutationObserver(fix);
    this.observer.observe(document.body, {childList: true, subtree: true});
  },
  destroyed() { if (this.observer) { this.observer.disconnect(); } },
};
</script>""".replace("MENU_LABEL", MENU_LABEL)
    ).tag(sync=True)


# On a phone, columns side by side (solara.Columns) stack, each the screen's width.
NARROW_CSS = """
@media (max-width: 700px) {
  .row.flex-nowrap { flex-wrap: wrap !important; }
  .row.flex-nowrap > .col { flex: 1 1 100% !important; max-width: 100%; }
}
"""


@solara.component
def Layout(children=[]):  # noqa: B006 (Solara's own signature for a layout)
    """Solara's AppLayout, with the controls' drawer closed on a narrow screen."""
    narrow = solara.use_reactive(False)
    fixes = PageFixes.element(on_narrow=narrow.set)
    style = solara.Style(NARROW_CSS)
    return solara.AppLayout(children=[fixes, style, *children], sidebar_open=not narrow.value)
