"""The live commands: ``epochwatch demo``, ``run``, ``resume`` and bare ``epochwatch`` (start screen).

Argument parsing and hand-off only: the app comes from ``create_app``, the same
factory the tests use. Bad input is one line on stderr and exit status 2, before
any screen opens. Without a terminal (``--no-tui``, or stdout not a terminal) the
plain runner prints one line per epoch instead. SIGHUP and SIGTERM (and Ctrl+C) save a
checkpoint beside the run log before leaving, so ``epochwatch resume RUNLOG`` can go on.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from epochwatch.themes import DEFAULT_THEME, THEME_NAMES

from .argtypes import whole_number

#: The scenario ``epochwatch demo`` trains when none is named: it shows a verdict change live.
DEFAULT_SCENARIO = "overfit"
#: Seconds to wait for the training thread after the screen closed before leaving anyway.
_EXIT_GRACE = 3.0
#: The same after a signal: the batch in progress and the checkpoint are worth a little longer.
_SIGNAL_GRACE = 10.0


def _add_display_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=whole_number(1), default=None, help="epochs to train (default: the source's own)")
    parser.add_argument("--theme", choices=list(THEME_NAMES), default=DEFAULT_THEME, help="colour theme (t cycles)")
    parser.add_argument("--log-dir", default="epochwatch-runs", metavar="DIR",
                        help="where the run log goes (default: ./epochwatch-runs)")
    parser.add_argument("--no-log", action="store_true", help="write no run log")
    parser.add_argument("--no-tui", action="store_true",
                        help="no screen: one plain line per epoch (automatic when stdout is not a terminal)")
    parser.add_argument("--keep-going", action="store_true",
                        help="train on when the loss is no longer finite (default: stop, verdict DIVERGED)")
    parser.add_argument("--ascii", action="store_true",
                        help="plots without braille or box characters (automatic when the locale is not UTF-8)")


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
    run.add_argument("--batch-size", type=whole_number(1), default=None, help="override the script's batch size")
    run.add_argument("--strategy", choices=["mirrored"], default=None,
                     help="build and train under tf.distribute.MirroredStrategy (all local GPUs)")
    _add_display_options(run)
    run.set_defaults(handler=run_script)

    resume = subparsers.add_parser(
        "resume", help="carry on an interrupted run from its checkpoint",
        description="Rebuild the model from the script or demo named in RUNLOG's header, load the checkpoint "
                    "saved beside it and train on from the next epoch, appending to the same run log.")
    resume.add_argument("runlog", metavar="RUNLOG", help="the run log (.jsonl) of the interrupted run")
    resume.add_argument("--epochs", type=whole_number(1), default=None,
                        help="train up to this epoch number (default: the run's own target)")
    resume.add_argument("--theme", choices=list(THEME_NAMES), default=DEFAULT_THEME, help="colour theme")
    resume.add_argument("--no-tui", action="store_true", help="no screen: one plain line per epoch")
    resume.add_argument("--keep-going", action="store_true", help="train on when the loss is no longer finite")
    resume.add_argument("--ascii", action="store_true", help="plots without braille or box characters")
    resume.set_defaults(handler=resume_run, no_log=False, log_dir=None, batch_size=None)


def _plain_wanted(args: argparse.Namespace) -> bool:
    if getattr(args, "no_tui", False):
        return True
    try:
        return not sys.stdout.isatty()
    except (AttributeError, ValueError):
        return True


def ascii_wanted(args: argparse.Namespace | None = None) -> bool:
    """``--ascii``, or a locale whose encoding is not UTF-8 (braille would be garbage there)."""
    if args is not None and getattr(args, "ascii", False):
        return True
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return bool(encoding) and encoding != "utf8"


def _app_options(args: argparse.Namespace) -> dict:
    """The app options every live command shares."""
    return {"keep_going": bool(getattr(args, "keep_going", False)), "ascii_plots": ascii_wanted(args),
            "strategy": getattr(args, "strategy", None)}


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
    if _plain_wanted(args):
        from epochwatch.engine.demos import load_scenario

        from .plain import run_plain

        return run_plain(lambda: load_scenario(args.scenario), epochs=args.epochs, log_dir=_log_dir(args),
                         keep_going=args.keep_going, prog="epochwatch demo")
    from .app import create_app

    app = create_app(scenario=args.scenario, epochs=args.epochs, log_dir=_log_dir(args), theme=args.theme,
                     **_app_options(args))
    return _run_app(app)


def run_script(args: argparse.Namespace) -> int:
    from epochwatch.engine.scripts import ScriptError, load_script

    path = Path(args.script)
    try:
        source = load_script(path)
    except ScriptError as error:
        print(f"epochwatch run: {error}", file=sys.stderr)
        return 2
    if _plain_wanted(args):
        from .plain import run_plain

        return run_plain(source, epochs=args.epochs, batch_size=args.batch_size, log_dir=_log_dir(args),
                         keep_going=args.keep_going, strategy=args.strategy, prog="epochwatch run")
    from .app import create_app

    app = create_app(source, epochs=args.epochs, batch_size=args.batch_size, log_dir=_log_dir(args),
                     theme=args.theme, **_app_options(args))
    return _run_app(app)


def resume_run(args: argparse.Namespace) -> int:
    """``epochwatch resume RUNLOG``: the same history, the checkpoint's weights, on from the next epoch."""
    from epochwatch.engine.checkpoint import ResumeError, plan_resume

    try:
        source, resume, target = plan_resume(args.runlog)
    except ResumeError as error:
        print(f"epochwatch resume: {error}", file=sys.stderr)
        return 2
    done = len(resume.history)
    target = args.epochs or target
    if target <= done:
        print(f"epochwatch resume: {args.runlog}: already trained {done} epochs (target {target}); "
              f"give --epochs N with N > {done} to train on", file=sys.stderr)
        return 2
    if _plain_wanted(args):
        from .plain import run_plain

        print(f"Resuming {resume.run_log} at epoch {done + 1} of {target}", flush=True)
        return run_plain(source, epochs=target, log_dir=resume.run_log.parent, keep_going=args.keep_going,
                         resume=resume, prog="epochwatch resume")
    from .app import create_app

    app = create_app(source, epochs=target, log_dir=resume.run_log.parent, theme=args.theme, resume=resume,
                     **_app_options(args))
    return _run_app(app)


def open_start_screen(args: argparse.Namespace | None = None) -> int:
    """Bare ``epochwatch``: the start screen (demo scenarios, recent runs, how to run a script)."""
    from .app import create_app

    theme = getattr(args, "theme", None) or DEFAULT_THEME
    app = create_app(theme=theme, log_dir=_log_dir(args) if args is not None and hasattr(args, "no_log") else
                     "epochwatch-runs")
    return _run_app(app)


def _install_signal_handlers(app) -> tuple[dict, list[int]]:
    """SIGHUP/SIGTERM: checkpoint, then close the app. Main thread only; returns what to restore."""
    received: list[int] = []

    def on_signal(signum, frame) -> None:
        if received:
            os._exit(128 + signum)  # asked twice: leave now
        received.append(signum)
        monitor = app.monitor
        if monitor is not None:
            monitor.checkpoint_and_quit(signal.Signals(signum).name)
        try:
            import asyncio

            asyncio.get_running_loop().call_soon_threadsafe(app.exit, 128 + signum)
        except RuntimeError:
            pass

    previous = {}
    for name in ("SIGHUP", "SIGTERM"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            previous[signum] = signal.signal(signum, on_signal)
        except (ValueError, OSError):
            pass
    return previous, received


def _run_app(app) -> int:
    from .terminal import native_output_to

    previous, received = _install_signal_handlers(app)
    try:
        with native_output_to(app.options.log_dir):
            result = app.run()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    code = result if isinstance(result, int) else (app.return_code or 0)
    if received:
        code = 128 + received[0]
    monitor = app.monitor
    if monitor is not None and not monitor.training_done:
        if not monitor.training_returned.wait(_SIGNAL_GRACE if received else _EXIT_GRACE):
            # The trainer did not return in time (e.g. still importing Keras): the run log
            # is flushed per epoch, so leaving now loses nothing already trained.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return code
