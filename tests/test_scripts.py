"""load_script: every way a training script can be unusable is one clear line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from epochwatch.engine.scripts import ScriptError, describe_exception, load_script

GOOD = '''"""A tiny regression script."""
import numpy as np

EPOCHS = 7


def build_model():
    import keras
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def load_data():
    x = np.linspace(-1, 1, 32, dtype="float32").reshape(-1, 1)
    return {"x": x, "y": 2 * x, "batch_size": 8}
'''


def write(tmp_path: Path, text: str, name: str = "train.py") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def one_line_error(path) -> str:
    with pytest.raises(ScriptError) as info:
        load_script(path)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_good_script_loads_with_its_epochs_and_origin(tmp_path):
    path = write(tmp_path, GOOD)
    source = load_script(path)
    assert source.name == "train"
    assert source.epochs == 7
    assert source.description == "A tiny regression script."
    assert source.origin == {"script": str(path.resolve())}
    data = source.load_data()
    assert set(data) == {"x", "y", "batch_size"} and data["x"].shape == (32, 1)


def test_epochs_default_when_script_sets_none(tmp_path):
    path = write(tmp_path, GOOD.replace("EPOCHS = 7\n", ""))
    assert load_script(path).epochs == 20


def test_missing_file(tmp_path):
    message = one_line_error(tmp_path / "nope.py")
    assert "nope.py" in message and "no such file" in message


def test_not_a_python_file(tmp_path):
    message = one_line_error(write(tmp_path, "x = 1\n", "train.txt"))
    assert "train.txt" in message and ".py" in message


def test_a_folder(tmp_path):
    (tmp_path / "pkg.py").mkdir()
    assert "folder" in one_line_error(tmp_path / "pkg.py")


def test_not_utf8(tmp_path):
    path = tmp_path / "train.py"
    path.write_bytes(b"x = '\xff\xfe'\n")
    message = one_line_error(path)
    assert "train.py" in message and "UTF-8" in message


def test_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "import numpy\n\ndef build_model(:\n    pass\n")
    message = one_line_error(path)
    assert f"{path}:3:" in message and "syntax error" in message


def test_exception_while_importing_names_type_message_and_line(tmp_path):
    path = write(tmp_path, "import os\nvalue = 1\nraise RuntimeError('no GPU here\\nsecond line')\n")
    message = one_line_error(path)
    assert f"{path}:3:" in message
    assert "RuntimeError: no GPU here" in message and "second line" not in message


def test_exception_in_an_imported_helper_points_at_the_script_line(tmp_path):
    (tmp_path / "helper_mod_ew.py").write_text("def boom():\n    return 1 / 0\n")
    path = write(tmp_path, "import helper_mod_ew\n\nhelper_mod_ew.boom()\n")
    message = one_line_error(path)
    assert f"{path}:3:" in message and "ZeroDivisionError" in message


def test_sys_exit_in_script_is_an_error_not_an_exit(tmp_path):
    message = one_line_error(write(tmp_path, "import sys\nsys.exit(3)\n"))
    assert "SystemExit" in message


def test_missing_functions(tmp_path):
    message = one_line_error(write(tmp_path, "def build_model():\n    pass\n"))
    assert "defines no load_data() (" in message
    message = one_line_error(write(tmp_path, "x = 1\n"))
    assert "defines no build_model() and load_data() (" in message


def test_bad_epochs(tmp_path):
    message = one_line_error(write(tmp_path, GOOD.replace("EPOCHS = 7", "EPOCHS = '7'")))
    assert "EPOCHS" in message


def test_load_data_not_returning_a_dict(tmp_path):
    source = load_script(write(tmp_path, GOOD.replace('return {"x": x, "y": 2 * x, "batch_size": 8}',
                                                      "return x, 2 * x")))
    with pytest.raises(ScriptError) as info:
        source.load_data()
    assert "train.py" in str(info.value) and "not tuple" in str(info.value)


def test_reload_sees_the_fixed_file(tmp_path):
    path = write(tmp_path, GOOD)
    source = load_script(path)
    path.write_text(GOOD.replace("EPOCHS = 7", "EPOCHS = 9"))
    assert source.reload().epochs == 9
    path.write_text("def build_model(:\n")
    with pytest.raises(ScriptError):
        source.reload()


def test_main_block_does_not_run(tmp_path):
    marker = tmp_path / "ran"
    path = write(tmp_path, GOOD + f"\nif __name__ == '__main__':\n    open({str(marker)!r}, 'w').close()\n")
    load_script(path)
    assert not marker.exists()


def test_describe_exception_finds_the_users_line(tmp_path):
    path = write(tmp_path, "def build_model():\n    return [][1]\n\ndef load_data():\n    return {}\n")
    source = load_script(path)
    with pytest.raises(IndexError) as info:
        source.build_model()
    assert describe_exception(info.value, path) == "train.py:2: IndexError: list index out of range"
    assert describe_exception(ValueError("bad\nmore")) == "ValueError: bad"


def test_loading_a_script_does_not_import_keras_by_itself(tmp_path):
    path = write(tmp_path, GOOD)
    code = ("import sys; from epochwatch.engine.scripts import load_script; "
            f"load_script({str(path)!r}); print('keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
