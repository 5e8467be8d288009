"""The wheel holds `epochwatch.*` only (nothing named plain `engine` or `tui`), with its data files."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_layout(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr
    wheel = next(tmp_path.glob("epochwatch-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"epochwatch", next(t for t in tops if t.endswith(".dist-info"))}
    for required in (
        "epochwatch/engine/__init__.py",
        "epochwatch/engine/diagnosis.py",
        "epochwatch/engine/formats/__init__.py",
        "epochwatch/tui/cli.py",
        "epochwatch/tui/app.py",
        "epochwatch/themes/epochwatch.tcss",
        "epochwatch/engine/examples/textbook-500-epochs.json",
    ):
        assert required in names, required
    entry = [n for n in names if n.endswith("entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry[0]).decode()
    assert "epochwatch = epochwatch.tui.cli:main" in text
