"""``semcom demo`` end to end at a tiny scale (the full demo is ``make demo``)."""

from __future__ import annotations

import json
from pathlib import Path

from semcom.cli.demo import run


def test_demo_writes_plot_grid_and_results(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    paths = run(tmp_path, epochs=1, k=32, samplers=["dlps", "blps"], snr=[0.0, 10.0])
    for key in ("json", "csv", "png", "grid"):
        assert paths[key].exists() and paths[key].stat().st_size > 0
    res = json.loads(paths["json"].read_text())
    models = {r["model"] for r in res["rows"]}
    assert {"dlps", "blps"} <= models and len(models) == 3  # and the zoo model
    assert any(m.startswith("zoo ") for m in models)
    assert {(r["channel"], r["csi"]) for r in res["rows"]} == {("awgn", "-"), ("rayleigh", "perfect")}
    out = capsys.readouterr().out
    assert "trained" in out and "over awgn" in out and "demo finished" in out
