"""README.md's two commands are the ones that CI and users run."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_opens_with_an_install_and_run_command_and_the_test_command():
    commands = readme_commands()
    assert len(commands) >= 2
    assert commands[0].startswith("pip install .") and "epochwatch " in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_exactly_the_readme_test_command():
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert ci_lines[-1] == readme_commands()[1]
