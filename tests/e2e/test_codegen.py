"""The generated Rust (model tables and typed operation shapes) is exactly what the generator
writes from the pinned botocore models: regenerating changes nothing.

botocore is pinned in requirements.txt to the version the generated files name, so the venv that
runs this suite carries the very models they were generated from.
"""

import os
import subprocess
import sys

import botocore

from conftest import ROOT


def test_regenerating_the_generated_code_changes_nothing():
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    r = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "codegen" / "gen_models.py"), "--check", data, botocore.__version__],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "up to date" in r.stdout


def test_the_check_fails_when_a_generated_file_differs(tmp_path):
    # The check must be able to fail: run it against a copy of the tree with one byte changed.
    import shutil

    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "tools", copy / "tools")
    shutil.copytree(ROOT / "crates" / "iamd-api" / "src", copy / "crates" / "iamd-api" / "src")
    shapes = copy / "crates" / "iamd-api" / "src" / "shapes" / "sts.rs"
    shapes.write_text(shapes.read_text().replace("pub struct", "pub  struct", 1))
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    r = subprocess.run(
        [sys.executable, str(copy / "tools" / "codegen" / "gen_models.py"), "--check", data, botocore.__version__],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1
    assert "shapes/sts.rs" in r.stderr
