"""docs/ODD.md stays true to the code: its parameter table is the one the registry
generates, and it names every reporter and scripted event type the model has."""

from __future__ import annotations

from pathlib import Path

from model.model import PaxSilicaModel
from model.params import ODD_BEGIN, ODD_END, markdown_table, registry
from model.scenario import EVENT_TYPES, preset_names

ROOT = Path(__file__).resolve().parents[1]
ODD = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")


def test_parameter_table_is_generated_from_the_registry():
    start = ODD.index(ODD_BEGIN)
    end = ODD.index(ODD_END) + len(ODD_END)
    assert ODD[start:end] == markdown_table(), "run: uv run python -m model.params"


def test_every_parameter_has_a_documented_default_and_range():
    for spec in registry().values():
        assert spec.doc.strip() and spec.unit is not None
        if spec.type in ("float", "int"):
            assert spec.min is not None and spec.max is not None, spec.name
            assert spec.min <= spec.default <= spec.max, spec.name
        assert f"`{spec.name}`" in ODD


def test_every_model_reporter_is_described():
    m = PaxSilicaModel("baseline", rng=0, n_investors=10, steps=1)
    for name in m.datacollector.model_reporters:
        if name[-1].isdigit():
            key = name.rsplit("_", 1)[0] + "_1..12"
        elif name.startswith("pressure_"):
            key = "pressure_CHN|RUS|BRA|EUR"
        else:
            key = name
        assert f"`{key}`" in ODD, name


def test_every_event_type_and_preset_is_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for etype in EVENT_TYPES:
        assert f"`{etype}`" in ODD, etype
    for name in preset_names():
        assert f"`{name}`" in readme, name


def test_the_posterior_table_is_generated_from_the_committed_posterior():
    from model import posterior

    start = ODD.index(posterior.ODD_BEGIN)
    end = ODD.index(posterior.ODD_END) + len(posterior.ODD_END)
    post = posterior.load_posterior(posterior.DEFAULT)
    assert ODD[start:end] == posterior.markdown_table(post), "run: uv run python -m model.posterior"
