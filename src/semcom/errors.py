"""User-facing errors.

A :class:`SemcomError` carries one line that names the offending value and what was expected.
The command-line interface prints it as ``error: <message>`` and exits with status 2, without a
traceback; library users catch it like any ``ValueError``.
"""

from __future__ import annotations


class SemcomError(ValueError):
    """Bad input from a user: a name, a value, a path or a file that semcom cannot use."""
