"""The wheel carries the specs and seed data and works outside the repository."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_installed_wheel_lists_the_bundled_specs(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, REPO],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("mockgate-*.whl")

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    # Reuse this environment's dependencies instead of downloading them again: a path line in a
    # .pth file puts them on sys.path after the venv's own site-packages (their .pth files, such as
    # an editable install of this repository, are not processed).
    site = next((env_dir / "lib").glob("python*/site-packages"))
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel],
        check=True,
        capture_output=True,
    )

    outside = tmp_path / "elsewhere"
    outside.mkdir()

    def run(*args: str) -> str:
        done = subprocess.run(
            args, cwd=outside, check=True, capture_output=True, text=True, env={"COLUMNS": "200"}
        )
        return done.stdout

    where = run(
        str(bin_dir / "python"),
        "-c",
        "from mockgate.core.resources import specs_dir; print(specs_dir())",
    )
    assert Path(where.strip()).is_relative_to(site)

    listing = run(str(bin_dir / "mockgate"), "specs", "list")
    for name in ("agentlens", "fasting", "piorchestrator", "state-tracking"):
        assert f" {name} " in listing
    shipped = run(
        str(bin_dir / "python"),
        "-c",
        "from mockgate.core.resources import fixtures_dir; print(*fixtures_dir().iterdir())",
    )
    assert "doc-examples" in shipped
    assert run(str(bin_dir / "mockgate"), "specs", "validate").count(": ok") == 4
