"""User-facing errors.

A :class:`SemcomError` carries one line that names the offending value and what was expected.
The command-line interface prints it as ``error: <message>`` and exits with status 2, without a
traceback; library users catch it like any ``ValueError``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


class SemcomError(ValueError):
    """Bad input from a user: a name, a value, a path or a file that semcom cannot use."""


def exit_status(command: Callable[[], int | None]) -> int:
    """Run a ``python -m`` command as the CLI runs its verbs: its status (0 for None), or one ``error:`` line on
    stderr and 2 for a :class:`SemcomError`, 130 for Ctrl-C; never a traceback for either."""
    try:
        return command() or 0
    except SemcomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted (Ctrl-C)", file=sys.stderr)
        return 130
