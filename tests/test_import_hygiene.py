"""The engine stays headless and light: no textual, rich or TensorFlow where histories are read."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import epochwatch.engine

TRAINING_MODULES = {"callback", "trainer", "demos", "scripts", "device", "runlogger"}
UI_AND_HEAVY = ("textual", "rich", "tensorflow", "keras", "plotext", "scipy")


def engine_modules():
    names = []
    for info in pkgutil.walk_packages(epochwatch.engine.__path__, "epochwatch.engine."):
        names.append(info.name)
    return names


def loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_every_engine_module_imports_without_ui_or_tensorflow():
    names = engine_modules()
    assert "epochwatch.engine.diagnosis" in names and "epochwatch.engine.formats" in names
    for name in names:
        short = name.rsplit(".", 1)[-1]
        loaded = loaded_after(f"import {name}")
        assert "textual" not in loaded, f"{name} imports textual"
        if short in TRAINING_MODULES:
            continue  # Keras itself imports rich (for model.summary); these modules may import Keras
        heavy = loaded & {"tensorflow", "keras", "rich"}
        assert not heavy, f"{name} imports {heavy}"


def test_reading_and_diagnosing_pays_for_no_heavy_import():
    example = Path(epochwatch.engine.__path__[0]) / "examples" / "textbook-500-epochs.json"
    loaded = loaded_after(
        "from epochwatch.engine import diagnose\n"
        "from epochwatch.engine.formats import read_history\n"
        f"diagnose(read_history({str(example)!r}))\n"
        "import epochwatch.tui.diagnose_cmd, epochwatch.tui.cli\n"
    )
    assert not loaded & set(UI_AND_HEAVY) - {"rich"}, loaded & set(UI_AND_HEAVY)


def test_engine_source_never_names_textual_or_rich():
    root = Path(epochwatch.engine.__path__[0])
    for path in root.rglob("*.py"):
        text = path.read_text()
        for lib in ("textual", "rich"):
            assert f"import {lib}" not in text and f"from {lib}" not in text, path
