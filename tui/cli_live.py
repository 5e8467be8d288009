"""The live commands: ``epochwatch demo``, ``epochwatch run`` and bare ``epochwatch`` (start screen).

Argument parsing and hand-off only: the app comes from ``create_app``, the same
factory the tests use. Bad input is one line on stderr and exit status 2, before
any screen opens.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from epochwatch.themes import DEFAULT_THEME, THEME_NAMES

#: The scenario ``epochwatch demo`` trains when none is named: it shows a verdict change live.
DEFAULT_SCENARIO = "overfit"
#: Seconds to wait for the training thread after the screen closed before leaving anyway.
_EXIT_GRACE = 3.0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_display_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=_positive_int, default=None, help="epochs to train (default: the source's own)")
    parser.add_argument("--theme", choices=list(THEME_NAMES), default=DEFAULT_THEME, help="colour theme (t cycles)")
    parser.add_argument("--log-dir", default="epochwatch-runs", metavar="DIR",
                        help="where the run log goes (default: ./epochwatch-runs)")
    parser.add_argument("--no-log", action="store_true", help="write no run log")


def add_live_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``demo`` and ``run`` to the main parser's subcommands (each sets ``handler``)."""
    demo = subparsers.add_parser("demo", help="train a built-in scenario live",
                                 description="Train a built-in scenario live and watch its verdict.")
    demo.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                      help=f"scenario name (default: {DEFAULT_SCENARIO}); see `epochwatch demo --list`")
    demo.add_argument("--list", action="store_true", help="list the scenarios and exit")
    _add_display_options(demo)
    demo.set_defaults(handler=run_demo)

    run = subparsers.add_parser("run", help="train your own train.py live",
                                description="Train train.py (build_model(), load_data(), optional EPOCHS) live.")
    run.add_argument("script", help="path to a Python file defining build_model() and load_data()")
    run.add_argument("--batch-size", type=_positive_int, default=None, help="override the script's batch size")
    _add_display_options(run)
    run.set_defaults(handler=run_script)


def _log_dir(args: argparse.Namespace) -> str | None:
    return None if args.no_log else args.log_dir


def run_demo(args: argparse.Namespace) -> int:
    from epochwatch.engine.demos import SCENARIOS

    if args.list:
        width = max(len(name) for name in SCENARIOS)
        for name, text in SCENARIOS.items():
            print(f"{name:<{width}}  {text}")
        return 0
    if args.scenario not in SCENARIOS:
        print(f"epochwatch demo: unknown scenario {args.scenario!r}; choose one of {', '.join(SCENARIOS)}",
              file=sys.stderr)
        return 2
    from .app import create_app

    app = create_app(scenario=args.scenario, epochs=args.epochs, log_dir=_log_dir(args), theme=args.theme)
    return _run_app(app)


def run_script(args: argparse.Namespace) -> int:
    from epochwatch.engine.scripts import ScriptError, load_script

    path = Path(args.script)
    try:
        source = load_script(path)
    except ScriptError as error:
        print(f"epochwatch run: {error}", file=sys.stderr)
        return 2
    from .app import create_app

    app = create_app(source, epochs=args.epochs, batch_size=args.batch_size, log_dir=_log_dir(args),
                     theme=args.theme)
    return _run_app(app)


def open_start_screen(args: argparse.Namespace | None = None) -> int:
    """Bare ``epochwatch``: the start screen (demo scenarios, recent runs, how to run a script)."""
    from .app import create_app

    theme = getattr(args, "theme", None) or DEFAULT_THEME
    app = create_app(theme=theme, log_dir=_log_dir(args) if args is not None and hasattr(args, "no_log") else
                     "epochwatch-runs")
    return _run_app(app)


def _run_app(app) -> int:
    result = app.run()
    code = result if isinstance(result, int) else (app.return_code or 0)
    monitor = app.monitor
    if monitor is not None and not monitor.training_done:
        if not monitor.training_returned.wait(_EXIT_GRACE):
            # The trainer did not return in time (e.g. still importing Keras): the run log
            # is flushed per epoch, so leaving now loses nothing already trained.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return code
