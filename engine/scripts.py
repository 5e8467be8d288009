"""Loading a user's training script (``train.py``) as a TrainingSource.

A script defines ``build_model()`` (a compiled Keras model with fresh weights on every
call), ``load_data()`` (the keyword arguments for ``model.fit``) and optionally
``EPOCHS``. Every problem with the script becomes a one-line :class:`ScriptError`
naming the file (and the line where Python knows it), never a traceback.

No Keras import here: the script imports what it needs when it runs.
"""

from __future__ import annotations

import re
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

#: Epochs when a script does not set ``EPOCHS``.
DEFAULT_EPOCHS = 20


class ScriptError(Exception):
    """A training script cannot be used; ``str()`` is one line naming the script and the problem."""


@dataclass
class TrainingSource:
    """Where a model and its data come from: a demo scenario or a user's script."""

    name: str
    build_model: Callable[[], Any]
    load_data: Callable[[], dict]
    epochs: int
    description: str = ""
    origin: dict = field(default_factory=dict)

    def reload(self) -> "TrainingSource":
        """The source read again (a script the user may have fixed); demos return themselves."""
        script = self.origin.get("script")
        if script:
            return load_script(script)
        return self


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_KERAS_WRAPPER = "Exception encountered when calling "
MAX_MESSAGE = 300


def _first_line(text: str) -> str:
    """The line of a message that says what went wrong (Keras puts it second, in bold)."""
    lines = [_ANSI.sub("", line).strip() for line in str(text).splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    line = lines[0]
    if line.startswith(_KERAS_WRAPPER) and len(lines) > 1:
        line = f"{lines[1]} (in {line[len(_KERAS_WRAPPER):].rstrip('.')})"
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…"


def _exception_line(exc: BaseException, script: str | Path | None) -> tuple[int | None, str]:
    """The script's deepest line in the traceback (or None), and ``Type: message``."""
    message = _first_line(str(exc))
    what = type(exc).__name__ + (f": {message}" if message else "")
    line = None
    if script is not None and exc.__traceback__ is not None:
        target = str(Path(script).resolve())
        for frame in traceback.extract_tb(exc.__traceback__):
            try:
                if str(Path(frame.filename).resolve()) == target:
                    line = frame.lineno
            except OSError:
                continue
    return line, what


def describe_exception(exc: BaseException, script: str | Path | None = None) -> str:
    """One line for an exception: ``train.py:12: ValueError: message``.

    The location is the deepest frame inside ``script`` (the user's own line); without
    one the line is just ``Type: message``.
    """
    if isinstance(exc, ScriptError):
        return str(exc)
    line, what = _exception_line(exc, script)
    if script is None:
        return what
    return f"{Path(script).name}:{line}: {what}" if line else f"{Path(script).name}: {what}"


def _check_returns_dict(path: Path, load_data: Callable[[], Any]) -> Callable[[], dict]:
    def checked_load_data() -> dict:
        data = load_data()
        if not isinstance(data, dict):
            raise ScriptError(
                f"{path}: load_data() must return a dict of model.fit keyword arguments "
                f"(x, y, validation_data, batch_size, ...), not {type(data).__name__}"
            )
        return data

    checked_load_data.__doc__ = load_data.__doc__
    return checked_load_data


def load_script(path: str | Path) -> TrainingSource:
    """Import ``path`` as a module and take its ``build_model``, ``load_data`` and ``EPOCHS``.

    The script's folder goes on ``sys.path`` so it can import its neighbours. Raises
    ScriptError for every way the script can be unusable.
    """
    path = Path(path).expanduser()
    shown = path
    try:
        path = path.resolve()
    except OSError:
        pass
    if not path.exists():
        raise ScriptError(f"{shown}: no such file")
    if path.is_dir():
        raise ScriptError(f"{shown}: is a folder, not a Python script")
    if path.suffix != ".py":
        raise ScriptError(f"{shown}: not a Python script (expected a .py file)")
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ScriptError(f"{shown}: cannot read: not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise ScriptError(f"{shown}: cannot read: {err.strerror or err}") from None

    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as err:
        line = f":{err.lineno}" if err.lineno else ""
        raise ScriptError(f"{shown}{line}: syntax error: {err.msg}") from None
    except ValueError as err:  # e.g. null bytes in the source
        raise ScriptError(f"{shown}: cannot compile: {_first_line(str(err))}") from None

    module = types.ModuleType(f"epochwatch_script_{path.stem}")
    module.__file__ = str(path)
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        exec(code, module.__dict__)
    except (Exception, SystemExit) as err:
        line, what = _exception_line(err, path)
        where = f"{shown}:{line}" if line else str(shown)
        raise ScriptError(f"{where}: {what} (while importing the script)") from None

    missing = [name for name in ("build_model", "load_data") if not callable(getattr(module, name, None))]
    if missing:
        names = " and ".join(f"{name}()" for name in missing)
        raise ScriptError(f"{shown}: defines no {names} (a script needs build_model() and load_data())")

    epochs = getattr(module, "EPOCHS", DEFAULT_EPOCHS)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ScriptError(f"{shown}: EPOCHS must be a whole number >= 1, not {epochs!r}")

    doc = _first_line(module.__doc__ or "")
    return TrainingSource(
        name=path.stem,
        build_model=module.build_model,
        load_data=_check_returns_dict(shown, module.load_data),
        epochs=epochs,
        description=doc,
        origin={"script": str(path)},
    )
