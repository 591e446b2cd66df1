"""The statistics of the MU-MIMO report: paired intervals, verdicts, loss spikes, condition numbers."""

import statistics

import pytest
import torch

from semcom.reports.mumimo import loss_spikes, paired_claims, paired_interval, verdict


def test_paired_interval_matches_the_textbook_formula() -> None:
    g = torch.Generator().manual_seed(0)
    a = (torch.randn(500, generator=g) + 0.3).tolist()
    b = torch.randn(500, generator=g).tolist()
    iv = paired_interval(a, b)
    d = [x - y for x, y in zip(a, b)]
    half = statistics.NormalDist().inv_cdf(0.975) * statistics.stdev(d) / len(d) ** 0.5
    assert iv["mean"] == pytest.approx(statistics.fmean(d))
    assert iv["hi"] - iv["mean"] == pytest.approx(half, rel=1e-5) and iv["n"] == 500
    with pytest.raises(ValueError, match="paired samples"):
        paired_interval([1.0], [1.0])


def test_verdicts() -> None:
    assert verdict({"lo": 0.1, "hi": 0.5}, 0.9) == "holds"
    assert verdict({"lo": -0.5, "hi": -0.1}, 0.9) == "does not hold"
    assert verdict({"lo": -0.1, "hi": 0.5}, 0.9) == "not resolved"
    assert verdict({"lo": -0.5, "hi": -0.1}, -1.0) == "holds"
    assert verdict({"lo": -0.5, "hi": 0.1}, None) == "interval only"


def test_loss_spikes_counts_jumps_over_the_running_median() -> None:
    loss = [1.0] * 30 + [5.0] + [1.0] * 10
    sp = loss_spikes(loss, window=10, factor=2.0)
    assert sp["spikes"] == 1 and sp["max_over_running_median"] == 5.0


def test_paired_claims_read_rows_of_the_same_samples() -> None:
    def row(model: str, variant: str, channel: str, snr: float, psnr: list[float]) -> dict:
        return {"model": model, "variant": variant, "channel": channel, "snr_db": snr, "psnr_samples": psnr,
                "accuracy_samples": [0.5] * len(psnr)}

    res = {"models": [{"label": m, "variant": m} for m in ("full", "no_pilot")],
           "rows": [row("full", "full", "umi", 7.0, [20.0, 21.0, 22.0, 23.0]),
                    row("no_pilot", "no_pilot", "umi", 7.0, [19.0, 20.1, 20.9, 22.0])]}
    (c,) = paired_claims(res, [7.0])
    assert c["claim"].startswith("pilot attention") and c["mean"] == pytest.approx(1.0) and c["n"] == 4
    assert c["verdict"] == "holds"


def test_condition_numbers_of_a_bank(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from semcom.cli import main
    from semcom.reports.mumimo import condition_numbers

    assert condition_numbers(tmp_path / "none") is None
    assert main(["channels", "generate", "--scenario", "umi", "--nf", "32", "--n", "8", "--seed", "3",
                 "--out", str(tmp_path / "bank")]) == 0
    cn = condition_numbers(tmp_path / "bank")
    assert cn is not None and cn["matrices"] == 8 * 32
    assert 1.0 <= cn["median"] <= cn["p90"] <= cn["p99"] <= cn["max"] and 0 <= cn["share_above_1e3"] <= cn["share_above_1e2"]
