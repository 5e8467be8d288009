"""`epochwatch diagnose` as a user runs it: real files, a real process, exit codes and streams."""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "engine" / "examples" / "textbook-500-epochs.json"


def epochwatch(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-c", "import sys; from epochwatch.tui.cli import main; sys.exit(main())", *args],
        capture_output=True, text=True, cwd=cwd, timeout=60,
    )


@pytest.fixture
def files(tmp_path):
    t = np.arange(1, 201)
    val = 0.3 + t**-0.6 + 0.0015 * t
    over = tmp_path / "over.json"
    over.write_text(json.dumps({"loss": list(1.0 * t**-0.5), "val_loss": list(val)}))
    csv = tmp_path / "log.csv"
    rows = ["epoch,loss,val_loss"] + [f"{i},{1.0 * (i + 1) ** -0.5},{v}" for i, v in enumerate(val)]
    csv.write_text("\n".join(rows) + "\n")
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("epoch,loss,val_loss\n0,1.0,1.1\n1,0.9,abc\n")
    pkl = tmp_path / "history.pkl"
    pkl.write_bytes(pickle.dumps({"loss": [1.0, 0.5]}))
    empty = tmp_path / "empty.json"
    empty.write_text("")
    ragged = tmp_path / "ragged.json"
    ragged.write_text(json.dumps({"loss": [1, 2, 3], "val_loss": [1, 2]}))
    return {"over": over, "csv": csv, "bad_csv": bad_csv, "pkl": pkl, "empty": empty, "ragged": ragged}


def test_readable_summary_of_the_bundled_example():
    r = epochwatch("diagnose", str(EXAMPLE))
    assert r.returncode == 0, r.stderr
    assert "UNDERFITTING" in r.stdout
    assert "still improving" in r.stdout
    assert "\x1b[" not in r.stdout  # plain text when not a terminal
    assert r.stderr == ""


def test_json_lines_in_order_with_all_fields(files):
    r = epochwatch("diagnose", "--json", str(files["over"]), str(files["csv"]), str(EXAMPLE))
    assert r.returncode == 0, r.stderr
    records = [json.loads(line) for line in r.stdout.splitlines()]
    assert [rec["file"] for rec in records] == [str(files["over"]), str(files["csv"]), str(EXAMPLE)]
    for rec in records:
        for key in ("verdict", "still_improving", "best_epoch", "suggested_total_epochs", "bias", "variance",
                    "baseline", "reasons", "advice", "epochs"):
            assert key in rec
    assert records[0]["verdict"] == "overfitting"
    assert records[1]["verdict"] == "overfitting"  # the same run as CSVLogger writes it
    assert records[0]["best_epoch"] == records[1]["best_epoch"]
    assert records[2]["verdict"] == "underfitting" and records[2]["epochs"] == 500


@pytest.mark.parametrize("bad", ["bad_csv", "pkl", "empty", "ragged", "missing"])
def test_bad_file_gets_one_line_and_status_2_while_the_others_are_diagnosed(files, tmp_path, bad):
    path = files.get(bad, tmp_path / "nope.json")
    r = epochwatch("diagnose", "--json", str(path), str(files["over"]))
    assert r.returncode == 2
    err_lines = r.stderr.strip().splitlines()
    assert len(err_lines) == 1 and str(path) in err_lines[0]
    assert "Traceback" not in r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert lines[0]["file"] == str(path) and lines[0]["error"]
    assert lines[1]["verdict"] == "overfitting"
    if bad == "pkl":
        assert "code" in err_lines[0]
    if bad == "bad_csv":
        assert "abc" in err_lines[0]


def test_diagnose_never_imports_tensorflow_or_textual(files):
    code = (
        "import sys; from epochwatch.tui.cli import main; main(['diagnose', %r]);"
        "print([m for m in ('tensorflow', 'keras', 'textual') if m in sys.modules])" % str(files["over"])
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip().splitlines()[-1] == "[]"
