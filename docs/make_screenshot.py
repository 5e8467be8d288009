"""Make docs/screenshot.svg: the real `epochwatch demo overfit`, trained to the end, headless.

    python docs/make_screenshot.py [SCENARIO] [--size 120x36]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from epochwatch.tui.app import create_app


async def shoot(scenario: str, size: tuple[int, int], out: Path) -> None:
    with tempfile.TemporaryDirectory() as logs:
        app = create_app(scenario=scenario, log_dir=logs, theme="dark")
        async with app.run_test(size=size) as pilot:
            deadline = time.monotonic() + 300
            while getattr(app, "monitor", None) is None or app.monitor.state not in ("finished", "stopped", "failed"):
                if time.monotonic() > deadline:
                    raise SystemExit("the demo did not finish in 5 minutes")
                await pilot.pause(0.2)
            await pilot.pause(0.5)
            svg = app.export_screenshot(title=f"epochwatch demo {scenario}")
            out.write_text(svg)
            await pilot.press("q")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default="overfit")
    ap.add_argument("--size", default="120x36")
    ap.add_argument("--out", default=str(Path(__file__).with_name("screenshot.svg")))
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    asyncio.run(shoot(args.scenario, (w, h), Path(args.out)))
    print(args.out)


if __name__ == "__main__":
    main()
