"""``epochwatch replay`` and ``epochwatch watch``: argument parsing and hand-off only.

Files are read before any screen opens, so a bad file is one line on stderr and exit
status 2, as with ``diagnose``. Textual is imported only inside the handlers.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from epochwatch.themes import DEFAULT_THEME, THEME_NAMES

from .argtypes import positive_number, whole_number

EXIT_BAD_INPUT = 2


def add_replay_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``replay`` and ``watch`` to the main parser's subcommands (each sets ``handler``)."""
    replay = subparsers.add_parser(
        "replay", help="play saved histories back with the verdict as it was known at each epoch",
        description="Replay saved histories (Keras JSON, CSVLogger CSV, run logs, TensorBoard log dirs) "
                    "in the monitor's screens; several files are overlaid.")
    replay.add_argument("files", nargs="+", metavar="FILE", help="history files or TensorBoard log directories")
    replay.add_argument("--speed", type=positive_number, default=None, metavar="EPOCHS_PER_SECOND",
                        help="replay speed (default: the whole run in about 15 s)")
    replay.add_argument("--at", type=whole_number(0), default=None, metavar="EPOCH", help="start paused at this epoch")
    replay.add_argument("--export", default=None, metavar="PATH",
                        help="write the final frame (.svg) or a report (.md) and exit; needs no terminal")
    replay.add_argument("--monitor", default="val_loss", help="the validation metric to judge (default: val_loss)")
    replay.add_argument("--theme", choices=list(THEME_NAMES), default=DEFAULT_THEME, help="colour theme (t cycles)")
    replay.set_defaults(handler=run_replay)

    watch = subparsers.add_parser(
        "watch", help="follow a history another process is writing",
        description="Follow a CSVLogger file, a run log (RunLogger) or a TensorBoard log dir as it grows.")
    watch.add_argument("path", metavar="FILE|DIR", help="the file or TensorBoard log directory to follow")
    watch.add_argument("--monitor", default="val_loss", help="the validation metric to judge (default: val_loss)")
    watch.add_argument("--theme", choices=list(THEME_NAMES), default=DEFAULT_THEME, help="colour theme (t cycles)")
    watch.set_defaults(handler=run_watch)


def _fail(message: str) -> int:
    print(f"epochwatch: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def run_replay(args: argparse.Namespace) -> int:
    from epochwatch.engine.formats import HistoryError, read_history

    runs = []
    for file in args.files:
        try:
            history = read_history(file)
        except HistoryError as err:
            return _fail(str(err))
        if not len(history):
            return _fail(f"{file}: no epochs to replay")
        runs.append((Path(file).name or file, history))
    if args.export:
        from .export import export_runs

        started = time.perf_counter()
        try:
            path = export_runs(runs, args.export, at=args.at, monitor=args.monitor, theme=args.theme)
        except HistoryError as err:
            return _fail(str(err))
        print(f"wrote {path} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
        return 0
    from .screens.replay import ReplayScreen
    from .viewer_app import create_viewer_app

    app = create_viewer_app(lambda: ReplayScreen(runs, speed=args.speed, at=args.at, monitor=args.monitor),
                            theme=args.theme)
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)


def run_watch(args: argparse.Namespace) -> int:
    from epochwatch.engine.follow import HistoryFollower
    from epochwatch.engine.formats import HistoryError

    path = Path(args.path)
    if not path.exists():
        return _fail(f"{path}: no such file or directory")
    follower = HistoryFollower(path)
    try:
        follower.poll()
    except HistoryError as err:
        return _fail(str(err))
    from .screens.watch import WatchScreen
    from .viewer_app import create_viewer_app

    app = create_viewer_app(lambda: WatchScreen(path, monitor=args.monitor, follower=follower), theme=args.theme)
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)
