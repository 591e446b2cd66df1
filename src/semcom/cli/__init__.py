"""The ``semcom`` command (Typer), one module per group of verbs.

* :mod:`semcom.cli.train`: ``train``, ``demo``, ``export``, ``models``, ``systems``, ``samplers``;
* :mod:`semcom.cli.evaluate`: ``eval``, ``merge``, ``plot``, ``mismatch``, ``ldm``, ``mumimo``;
* :mod:`semcom.cli.phy`: ``channels generate``, ``bler``, ``baseline``, ``complexity``;
* :mod:`semcom.cli.report`: ``report``;
* :mod:`semcom.cli.sweep`: ``sweep``;
* :mod:`semcom.cli.zoo`: ``zoo list``, ``zoo eval``, ``zoo path``.

Shared options, their checks and the command-line record: :mod:`semcom.cli.common`. Every tool is
reachable as ``semcom.cli.main(argv)`` (tests call it that way).

Exit statuses: 0 done; 2 bad input (one line ``error: ...`` on stderr, nothing written, no traceback), also
for a mistyped option or value; 130 interrupted (Ctrl-C, one line, at any point including start-up); 1 an
error of the machine (disk full and the like), one line; 3 (``sweep``) some trials failed, each listed with its
error line.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["app", "main"]

_USER_OS_ERRORS = (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError, PermissionError)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    try:
        return _run(list(argv if argv is not None else sys.argv[1:]))
    except KeyboardInterrupt:
        print("error: interrupted (Ctrl-C); outputs being written were left as they were before", file=sys.stderr)
        return 130


def _run(args: list[str]) -> int:
    import typer

    try:  # typer >= 0.20 vendors click as typer._click; older typer uses click itself
        from typer._click.exceptions import ClickException, UsageError
    except ImportError:  # pragma: no cover
        from click.exceptions import ClickException, UsageError  # type: ignore[assignment]

    from semcom.cli import evaluate as _evaluate  # noqa: F401  (registers the verbs)
    from semcom.cli import phy as _phy  # noqa: F401
    from semcom.cli import report as _report  # noqa: F401
    from semcom.cli import sweep as _sweep  # noqa: F401
    from semcom.cli import train as _train  # noqa: F401
    from semcom.cli import zoo as _zoo  # noqa: F401
    from semcom.cli.common import app, set_argv
    from semcom.errors import SemcomError

    set_argv(args)
    command = typer.main.get_command(app)
    try:
        rv = command.main(args=args, prog_name="semcom", standalone_mode=False)
    except SemcomError as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except UsageError as exc:
        message = _one_line(exc.format_message())
        if not message:  # `semcom` or `semcom channels` alone: the help was printed
            return 0
        path = exc.ctx.command_path if exc.ctx is not None and exc.ctx.parent is not None else "semcom"
        print(f"error: {message} (see `{path} --help`)", file=sys.stderr)
        return 2
    except ClickException as exc:
        print(f"error: {_one_line(exc.format_message())}", file=sys.stderr)
        return exc.exit_code or 2
    except typer.Abort:
        print("error: interrupted (Ctrl-C)", file=sys.stderr)
        return 130
    except _USER_OS_ERRORS as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 1
    if rv == 130:  # typer turns a KeyboardInterrupt inside a command into Exit(130)
        print("error: interrupted (Ctrl-C); outputs being written were left as they were before", file=sys.stderr)
        return 130
    return rv if isinstance(rv, int) else 0


def __getattr__(name: str) -> Any:
    if name == "app":  # the Typer app with every verb registered (imported on first use)
        from semcom.cli import evaluate, phy, report, sweep, train, zoo  # noqa: F401
        from semcom.cli.common import app

        return app
    raise AttributeError(name)


if __name__ == "__main__":
    sys.exit(main())
