"""BLER summaries: crossings with their Wilson interval (unresolved where the counts cannot place them), and
the Es/N0-per-resource-element column that separates the cyclic-prefix overhead from the link's gain."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from semcom.evaluation.bler import crossing_interval, es_n0_offset_db, summary_md, with_es_n0

ROOT = Path(__file__).resolve().parents[1]


def test_crossing_interval_brackets_the_estimate_and_refuses_what_128_blocks_cannot_resolve() -> None:
    pts = [(0.0, 100, 128), (5.0, 30, 128), (10.0, 5, 128), (15.0, 0, 128)]
    est, lo, hi = crossing_interval(pts, 0.1)
    assert lo <= est <= hi and 5.0 < est < 10.0
    assert crossing_interval(pts, 0.01) is None  # 0 errors in 128 still allows 2.9 %
    many = [(e, round(k / n * 100_000), 100_000) for e, k, n in pts[:3]] + [(15.0, 100, 100_000)]
    e2, lo2, hi2 = crossing_interval(many, 0.1)
    assert hi2 - lo2 < hi - lo and lo2 <= e2 <= hi2  # more blocks, narrower interval


def test_es_n0_offset_is_the_links_and_holds_the_cyclic_prefix() -> None:
    from semcom.channels.digital import MUMIMOOFDMLink

    off = {}
    for nf in (32, 128):
        link = MUMIMOOFDMLink(None, nf, "1/2", 2)
        off[nf] = es_n0_offset_db(nf, 2, link.k, link.n)
        assert off[nf] == pytest.approx(link.snr_db(0.0), abs=1e-9)
    # same code rate and modulation: the offsets differ only by the CP overhead 10 log10(1 + 20 / N_f)
    cp = 10 * math.log10(1 + 20 / 32) - 10 * math.log10(1 + 20 / 128)
    assert off[128] - off[32] == pytest.approx(cp, abs=1e-6)


def test_summary_of_a_saved_result_gains_the_per_re_column() -> None:
    from semcom.evaluation.results import read_results

    res = read_results(ROOT / "results" / "bler" / "bler_nf32.json")
    rows = with_es_n0(res)["rows"]
    assert all(r["snr_db"] is not None for r in rows)
    md = summary_md(res)
    assert "Es/N0 per RE @ 1e-1" in md and "not resolved" in md
    assert "| umi | 32 | 4qam | 1/2 | perfect | 7.6 [" in md
