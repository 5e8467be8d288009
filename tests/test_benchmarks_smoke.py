"""The benchmark runner's smoke run: it runs, prints the table, and the diagnosis rows meet their targets.

No timing is asserted beyond what the runner itself judges (the 5 ms budget at 1,000 epochs
has a wide margin); the real figures live in benchmarks/RESULTS.md.
"""

import subprocess
import sys
from pathlib import Path

RUNNER = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_quick_diagnosis_benchmark_prints_a_table_with_a_verdict_per_row():
    done = subprocess.run([sys.executable, str(RUNNER), "--quick", "--only", "diagnosis"],
                          capture_output=True, text=True, timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == ["benchmark", "baseline", "ours", "ratio", "target", "met?"]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]
    assert len(rows) == 3 and all(len(row) == 6 for row in rows)
    assert rows[0][0] == "4 diagnosis per call, 1,000 epochs" and rows[0][2].endswith("ms")
    assert all(row[5] in ("yes", "NO", "-") for row in rows)
    assert done.returncode == (1 if any(row[5] == "NO" for row in rows) else 0)


def test_unknown_benchmark_is_refused():
    done = subprocess.run([sys.executable, str(RUNNER), "--only", "nonsense"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and "invalid choice" in done.stderr
