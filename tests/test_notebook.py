"""``docs/analysis.ipynb`` runs from top to bottom (nbclient, an ipykernel of this venv):
two sweeps, the catalogue, a query across both and the survival table reproduced in SQL,
each step asserting what it shows. It writes only into a folder of the test's own."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "analysis.ipynb"


def test_the_analysis_notebook_runs_and_its_checks_hold(tmp_path, monkeypatch):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # the kernel is this interpreter (its venv, this checkout), not some other Python's
    check = f"import sys\nassert sys.prefix == {sys.prefix!r}, sys.executable"
    nb.cells.insert(0, nbformat.v4.new_code_cell(check))
    monkeypatch.setenv("PAX_SILICA_NOTEBOOK_DIR", str(tmp_path))
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()  # a failing cell raises CellExecutionError with its traceback
    assert (tmp_path / "catalogue.sqlite").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == [
        "baseline",
        "credibility_crisis",
    ]
    said = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "baseline: survival at quarters" in said
    assert "credibility_crisis: survival at quarters" in said


def test_the_notebook_is_kept_without_outputs():
    """Committed clean: its outputs are made by running it, not stored."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
