"""Generated READMEs of the committed results folders: ``semcom report NAME [FOLDER]``.

Each report module exposes ``report(folder) -> claims`` (and ``collect(runs, out) -> list`` where finished
runs are exported into the folder first); :data:`REPORTS` names them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from semcom.errors import SemcomError

#: report name -> module (in ``semcom.reports``)
REPORTS = {
    "dlps": "semcom.reports.dlps",
    "sscc": "semcom.reports.sscc",
    "robust": "semcom.reports.robust",
    "ldm": "semcom.reports.ldm",
    "mumimo": "semcom.reports.mumimo",
    "digital_jscc": "semcom.reports.digital",
    "rate_adaptive": "semcom.reports.rate",
    "liu2025": "semcom.reports.liu2025",
}


def load_report(name: str) -> ModuleType:
    if name not in REPORTS:
        raise SemcomError(f"unknown report {name!r}; expected one of: {', '.join(REPORTS)}")
    return importlib.import_module(REPORTS[name])
