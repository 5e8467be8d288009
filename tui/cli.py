"""The `epochwatch` command line: argument parsing only; it hands off to the app or the engine.

Nothing heavy is imported here: `diagnose` must not pay for Textual or TensorFlow.
"""

from __future__ import annotations

import argparse
import sys



def _add_diagnose(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diagnose",
        help="the verdict on saved histories (Keras JSON, CSVLogger CSV, run logs)",
        description="Diagnose saved training histories: verdict, best epoch, bias/variance, reasons, advice.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="history files to diagnose")
    p.add_argument("--json", action="store_true", help="one JSON object per file per line")
    p.add_argument("--monitor", default="val_loss", help="the validation metric to judge (default: val_loss)")
    p.set_defaults(handler=_diagnose)


def _diagnose(args: argparse.Namespace) -> int:
    from .diagnose_cmd import run_diagnose

    return run_diagnose(args.files, as_json=args.json, monitor=args.monitor)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="epochwatch",
        description="A terminal training monitor for Keras: did I train for the right number of epochs?",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_diagnose(sub)
    try:
        from .cli_live import add_live_commands
    except ImportError:
        add_live_commands = None
    if add_live_commands is not None:
        add_live_commands(sub)
    from .cli_replay import add_replay_commands

    add_replay_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        try:
            from .cli_live import open_start_screen
        except ImportError:
            parser.print_help()
            return 0
        return int(open_start_screen(args) or 0)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
