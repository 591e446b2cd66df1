"""Modulation adaptation (the robust-JSCC survey, Section III-C): one DT-JSCC model per QAM order, and a policy
that picks the order for each channel and SNR from measurements on a selection set, applied to test results.

Two policies, both chosen on one result file (the selection set) and applied to another (the test set), so the
test numbers of the adaptive curve are not the numbers it was chosen on:

* :func:`best_measured_policy`: at each (channel, SNR) the order whose model had the highest metric
  (ties: the lower order, which is the more robust one).
* :func:`tolerance_policy`, the survey's rule ("find the largest perturbation the model tolerates, then pick
  the highest order whose error rate at the current SNR stays inside it"): the tolerance of order M is the
  largest index error rate measured at any SNR of the selection set where its model stays within ``delta`` of
  its best metric; at each (channel, SNR) the highest order whose measured index error rate there is within
  its tolerance, else the lowest order.

Results are the rows of ``semcom eval`` (``accuracy`` or ``psnr``, ``index_error_rate``, ``num_images``).
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["apply_policy", "best_measured_policy", "binomial_halfwidth", "models_by_order", "tolerance_policy"]

Panel = tuple[str, str]


def binomial_halfwidth(p: float, n: int, z: float = 1.96) -> float:
    """Half-width of the normal 95 % interval of a proportion p measured on n independent trials."""
    return z * math.sqrt(max(p * (1.0 - p), 0.0) / max(n, 1))


def models_by_order(results: dict[str, Any], pattern: str = r"dt_jscc_cls_(\d+)qam$") -> dict[int, str]:
    """{QAM order: model label} of the fixed-order models in a result (labels matching ``pattern``)."""
    out: dict[int, str] = {}
    for m in results["models"]:
        hit = re.match(pattern, m["label"])
        if hit:
            out[int(hit.group(1))] = m["label"]
    return dict(sorted(out.items()))


def _look(results: dict[str, Any], key: str) -> dict[tuple[str, str, str, float], Any]:
    return {(r["model"], r["channel"], r["csi"], float(r["snr_db"])): r.get(key) for r in results["rows"]}


def _panels(results: dict[str, Any]) -> list[Panel]:
    return list(dict.fromkeys((r["channel"], r["csi"]) for r in results["rows"]))


def _snrs(results: dict[str, Any], panel: Panel) -> list[float]:
    return sorted({float(r["snr_db"]) for r in results["rows"] if (r["channel"], r["csi"]) == panel})


def best_measured_policy(selection: dict[str, Any], orders: dict[int, str],
                         metric: str = "accuracy") -> dict[Panel, dict[float, int]]:
    """(channel, csi) -> SNR -> the order with the best ``metric`` on the selection set."""
    val = _look(selection, metric)
    policy: dict[Panel, dict[float, int]] = {}
    for panel in _panels(selection):
        policy[panel] = {}
        for s in _snrs(selection, panel):
            scored = [(float(v), o) for o, label in orders.items()
                      if (v := val.get((label, *panel, s))) is not None]
            if scored:
                best = max(v for v, _ in scored)
                policy[panel][s] = min(o for v, o in scored if v == best)
    return policy


def tolerance_policy(selection: dict[str, Any], orders: dict[int, str], delta: float = 0.02,
                     metric: str = "accuracy") -> tuple[dict[Panel, dict[float, int]], dict[int, float]]:
    """(policy, tolerance per order) of the survey's rule (module docstring); ``delta`` in the metric's unit."""
    val, err = _look(selection, metric), _look(selection, "index_error_rate")
    tolerance: dict[int, float] = {}
    for order, label in orders.items():
        pts = [(v, err[k]) for k, v in val.items() if k[0] == label and v is not None and err.get(k) is not None]
        if not pts:
            continue
        best = max(v for v, _ in pts)
        tolerance[order] = max(e for v, e in pts if v >= best - delta)
    policy: dict[Panel, dict[float, int]] = {}
    for panel in _panels(selection):
        policy[panel] = {}
        for s in _snrs(selection, panel):
            ok = [o for o, label in orders.items()
                  if o in tolerance and err.get((label, *panel, s)) is not None
                  and err[(label, *panel, s)] <= tolerance[o]]
            policy[panel][s] = max(ok) if ok else min(orders)
    return policy, tolerance


def apply_policy(test: dict[str, Any], policy: dict[Panel, dict[float, int]], orders: dict[int, str],
                 metric: str = "accuracy") -> dict[Panel, dict[float, dict[str, Any]]]:
    """(channel, csi) -> SNR -> {order, model, value, num_images}: the test value of the order the policy picked."""
    val = _look(test, metric)
    count = _look(test, "num_images")
    out: dict[Panel, dict[float, dict[str, Any]]] = {}
    for panel, by_snr in policy.items():
        out[panel] = {}
        for s, order in by_snr.items():
            key = (orders[order], *panel, s)
            if val.get(key) is not None:
                out[panel][s] = {"order": order, "model": orders[order], "value": val[key],
                                 "num_images": count.get(key)}
    return out
