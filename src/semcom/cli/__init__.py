"""The ``semcom`` command (Typer), one module per group of verbs.

* :mod:`semcom.cli.train`: ``train``, ``demo``, ``export``, ``models``, ``systems``, ``samplers``;
* :mod:`semcom.cli.evaluate`: ``eval``, ``merge``, ``plot``, ``mismatch``, ``ldm``, ``mumimo``;
* :mod:`semcom.cli.phy`: ``channels generate``, ``bler``, ``baseline``, ``complexity``;
* :mod:`semcom.cli.report`: ``report``.

Shared options and the command-line record: :mod:`semcom.cli.common`. Every tool is reachable as
``semcom.cli.main(argv)`` (tests call it that way). Bad input ends with one line ``error: ...`` on
stderr and exit status 2.
"""

from __future__ import annotations

import sys

import typer

from semcom.cli import evaluate as _evaluate  # noqa: F401  (registers the verbs)
from semcom.cli import phy as _phy  # noqa: F401
from semcom.cli import report as _report  # noqa: F401
from semcom.cli import train as _train  # noqa: F401
from semcom.cli.common import app, set_argv
from semcom.errors import SemcomError

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    args = list(argv if argv is not None else sys.argv[1:])
    set_argv(args)
    command = typer.main.get_command(app)
    try:
        command.main(args=args, prog_name="semcom", standalone_mode=True)
    except SemcomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # click's standalone mode ends every run with SystemExit
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
