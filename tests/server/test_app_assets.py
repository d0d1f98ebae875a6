"""The app's offline asset cache and its commands (``pax-silica assets``, ``pax-silica
app``): which npm packages the page needs, building them into a folder with ``npm pack``,
and the settings the app gives its Solara server."""

from __future__ import annotations

import json
import shutil

import pytest

from experiments import app_cmd
from experiments.cli import main
from server import __main__ as server_main
from server import assets


def test_required_packages_are_the_ones_solara_asks_the_cdn_for():
    pkgs = assets.required_packages()
    assert any(p.startswith("@widgetti/solara-vuetify-app@") for p in pkgs)  # Vue 2 app
    assert not any("vuetify3" in p for p in pkgs)  # ipyvue < 2: the Vue 3 app is not used
    names = {p.rsplit("@", 1)[0] for p in pkgs}
    assert {"requirejs", "font-awesome", "katex", "mermaid"} <= names
    for p in pkgs:  # exact versions: npm never changes what is behind one
        assert p.rsplit("@", 1)[1][0].isdigit(), p
    # the charts: the plotly.js the installed plotly writes its figures for, and the map
    from plotly.offline import get_plotlyjs_version

    assert f"plotly.js-dist-min@{get_plotlyjs_version()}" in pkgs
    assert assets.GEOMETRY in pkgs and assets.plotly_js().startswith(assets.plotly_package())


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_build_unpacks_a_package_and_records_it(tmp_path):
    spec = next(p for p in assets.required_packages() if p.startswith("requirejs@"))
    lines = []
    assets.build_assets(tmp_path, [spec], say=lines.append)
    assert (tmp_path / spec / "require.js").is_file()
    assert json.loads((tmp_path / assets.MANIFEST).read_text())["packages"] == [spec]
    assert spec not in assets.missing(tmp_path)
    assert lines and spec in lines[0]
    assert not list(tmp_path.glob(".unpack-*"))  # no staging folder left behind


def test_a_missing_npm_is_one_clear_error(tmp_path, monkeypatch, capfd):
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    with pytest.raises(assets.AssetError, match="npm is not installed"):
        assets.build_assets(tmp_path)
    # the command runs `python -m server assets`: a PATH without npm reaches it
    monkeypatch.setenv("PATH", str(tmp_path / "no-npm-here"))
    assert main(["assets", "--dir", str(tmp_path)]) == 2
    err = capfd.readouterr().err
    assert err.startswith("error: asset cache: npm is not installed") and err.count("\n") == 1


def test_check_reports_a_missing_cache(tmp_path, capfd):
    assert main(["assets", "--dir", str(tmp_path / "none"), "--check"]) == 1
    assert "is missing" in capfd.readouterr().out


def test_app_command_serves_this_machine_by_default():
    from experiments.cli import build_parser

    ns = build_parser().parse_args(["app"])
    assert (ns.host, ns.port) == ("127.0.0.1", 8765)
    cmd = app_cmd.app_command(ns.host, ns.port)  # the command line runs the app's entry
    assert cmd[1:4] == ["-m", "server", "app"] and cmd[cmd.index("--port") + 1] == "8765"
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and "--dev" not in cmd
    cmd = server_main.solara_command("127.0.0.1", 8765)  # which runs the Solara server
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and "--production" in cmd
    assert str(server_main.APP).endswith("server/app.py")
    env = assets.server_env()
    assert env["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(assets.asset_dir())
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"


@pytest.mark.parametrize("port", ["http", "-1", "70000"])
def test_a_bad_port_is_one_error_line(port, capsys):
    with pytest.raises(SystemExit) as e:
        main(["app", "--port", port])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: argument --port") and err.count("\n") == 1


def test_importing_the_app_points_solara_at_the_cache():
    import os

    import solara.server.settings as ss

    import server.app  # noqa: F401  (configures Solara on import)

    if "SOLARA_ASSETS_PROXY_CACHE_DIR" not in os.environ:
        assert ss.assets.proxy_cache_dir == assets.asset_dir()
    assert ss.telemetry.mixpanel_enable is False
    assert ss.theme.show_banner is False
