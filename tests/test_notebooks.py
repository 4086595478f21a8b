"""Every notebook under EDA/ and models/ runs top to bottom in quick mode, in the numbered order."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "EDA").glob("*.ipynb")) + sorted((ROOT / "models").glob("*.ipynb"))


def test_notebooks_are_found_and_stored_without_outputs():
    assert len(NOTEBOOKS) >= 11
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        assert "parameters" in notebook.cells[1].metadata.get("tags", []), f"{path.name}: first code cell must hold the parameters"
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} is stored with outputs"
                assert "def " not in cell.source and "class " not in cell.source, f"{path.name} defines code: move it into genrekit"


# One xdist worker runs them all, in order: models/06 and 07 read the runs that models/01-05 write
# into that worker's GENREKIT_HOME (pyproject's addopts use --dist loadgroup).
@pytest.mark.xdist_group("notebooks")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_runs_top_to_bottom(path):
    # GENREKIT_HOME (set by conftest) is inherited by the kernel, so outputs land in a temp folder
    # shared by all notebooks of the session: models/06 tabulates and models/07 ensembles the runs
    # models/01-05 wrote, and EDA/04 reads the features EDA/03 cached.
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
