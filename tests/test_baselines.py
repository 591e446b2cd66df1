"""SSCC baselines: codecs and their payload accounting, rate control, the digital chain, the ideal bound."""

import io
import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from semcom.baselines import available_codecs, capacity, create_codec, ideal_point, make_link, rate_control, transmit
from semcom.baselines.codecs import frame, unframe
from semcom.baselines.sscc import payload_bit_matrix, psnr_uint8, summarize, wilson
from semcom.cli import main
from semcom.data import build_dataset
from semcom.errors import SemcomError
from semcom.evaluation.results import read_results

AVAILABLE = [n for n, ok in available_codecs().items() if ok == "ok"]


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    ds = build_dataset("embedded", split="test")
    return np.stack([ds[i][0].permute(1, 2, 0).numpy() for i in range(0, 100, 10)])


def test_link_framing_round_trip_and_padding() -> None:
    body = bytes(range(200))
    data = frame(7, body)
    assert len(data) == 1 + 2 + 200  # quality byte + two-byte varint for 200
    assert unframe(data + b"\x00" * 13) == (7, body)  # zero padding of the channel block is ignored
    assert len(frame(3, b"x" * 127)) == 1 + 1 + 127
    with pytest.raises(SemcomError, match="announces"):
        unframe(data[:50])


@pytest.mark.parametrize("name", AVAILABLE)
def test_codec_round_trip_psnr_matches_rate_control(name: str, images: np.ndarray) -> None:
    codec = create_codec(name)
    sc = rate_control(codec, images[:4], 8 * 400)
    for i, data in enumerate(sc.payloads):
        assert data is not None
        rec = codec.decode(data, images[i].shape)
        assert rec.shape == images[i].shape and rec.dtype == np.uint8
        assert psnr_uint8(images[i:i + 1], rec[None])[0] == pytest.approx(sc.psnr[i], abs=1e-9)
        assert 15.0 < sc.psnr[i] < 60.0


@pytest.mark.parametrize("name", AVAILABLE)
def test_rate_control_never_exceeds_budget_and_takes_the_largest_fitting_quality(name: str, images: np.ndarray) -> None:
    codec = create_codec(name)
    img = images[3]
    sizes = {q: codec.payload_bits(codec.encode(img, q)) for q in codec.qualities[::max(1, len(codec.qualities) // 12)]}
    for budget in (200, 8 * 60, 8 * 128, 8 * 300):
        data, q = codec.encode_to_budget(img, budget)
        if data is None:
            assert codec.payload_bits(codec.encode(img, codec.qualities[0])) > budget
            continue
        assert codec.payload_bits(data) <= budget
        # no sampled higher quality fits (the ladder is monotone for these coders)
        assert all(s > budget for qq, s in sizes.items() if qq > q)


def test_jpeg_payload_is_the_entropy_coded_segment_and_headers_are_image_independent(images: np.ndarray) -> None:
    codec = create_codec("jpeg")
    for q in (5, 50, 90):
        files = []
        for img in images[:3]:
            buf = io.BytesIO()
            Image.fromarray(img).save(buf, format="JPEG", quality=q, subsampling=2)
            files.append(buf.getvalue())
        heads = {codec._split(f)[0] for f in files}
        assert len(heads) == 1  # headers depend on quality and size only
        head = heads.pop()
        assert 550 < len(head) < 700  # the ~620 bytes a 32x32 JPEG file spends on markers and tables
        for img, f in zip(images[:3], files):
            data = codec.encode(img, q)
            body_len = len(f) - len(head) - 2  # minus the EOI marker
            assert len(data) == len(frame(0, b"x" * body_len))  # link header + entropy-coded segment
            assert codec.payload_bits(data) == 8 * len(data)
            ref = np.asarray(Image.open(io.BytesIO(f)).convert("RGB"))
            assert np.array_equal(codec.decode(data, img.shape), ref)  # bit-identical to decoding the whole file


@pytest.mark.skipif("bpg" not in AVAILABLE, reason="pillow-heif with x265 not installed")
def test_hevc_payload_is_the_slice_and_the_container_is_rebuilt(images: np.ndarray) -> None:
    import pillow_heif

    codec = create_codec("bpg")
    for q in (0, 30, 80):
        overheads = set()
        for img in images[:3]:
            f = codec._file(img, q)
            off, size = codec._mdat(f)
            overheads.add(len(f) - (size - 8))
            data = codec.encode(img, q)
            assert len(data) == len(frame(0, b"x" * (size - 8)))
            ref = np.asarray(pillow_heif.open_heif(f).to_pillow().convert("RGB"))
            assert np.array_equal(codec.decode(data, img.shape), ref)
        assert overheads == {417}  # ftyp + meta (with the 118 bytes of VPS/SPS/PPS) + mdat header, fixed


def test_codec_bad_input_errors(images: np.ndarray) -> None:
    with pytest.raises(SemcomError, match="unknown codec 'bmp'"):
        create_codec("bmp")
    with pytest.raises(SemcomError, match="not on its ladder"):
        create_codec("jpeg").encode(images[0], 0)
    with pytest.raises(SemcomError, match=r"uint8 numpy array \[H, W, 3\]"):
        create_codec("jpeg").encode(images[0].astype(np.float32), 50)


def test_link_bad_options() -> None:
    with pytest.raises(SemcomError, match="not supported by the 5G NR LDPC"):
        make_link("awgn", "4qam", "1/10", channel_uses=264)
    with pytest.raises(SemcomError, match="exceeds one 5G LDPC block"):
        make_link("awgn", "16qam", "2/3", channel_uses=4096)
    with pytest.raises(SemcomError, match="modulation '8psk'"):
        make_link("awgn", "8psk", "1/2", channel_uses=264)
    with pytest.raises(SemcomError, match="needs channel_uses"):
        make_link("awgn", "4qam", "1/2")


def test_capacity_formulas() -> None:
    assert capacity(0.0) == pytest.approx(1.0)
    assert capacity(20.0) == pytest.approx(math.log2(101.0))
    g = torch.Generator().manual_seed(0)
    h2 = torch.distributions.Exponential(1.0).sample((400_000,))
    for snr_db in (0.0, 10.0, 20.0):
        snr = 10 ** (snr_db / 10)
        mc = float(torch.log2(1 + h2 * snr).mean())
        assert capacity(snr_db, "rayleigh") == pytest.approx(mc, rel=5e-3)  # ergodic closed form
        c_out = capacity(snr_db, "rayleigh", outage=0.1)
        assert float((torch.log2(1 + h2 * snr) < c_out).float().mean()) == pytest.approx(0.1, abs=3e-3)
        assert c_out < capacity(snr_db, "rayleigh") < capacity(snr_db)  # outage < ergodic < AWGN (Jensen)
    del g


def test_rayleigh_ergodic_capacity_is_finite_and_exact_at_every_snr() -> None:
    """e^{1/SNR} E1(1/SNR) / ln 2 overflowed below about -28.5 dB (e^{1/SNR}); it must match the defining
    integral E[log2(1 + |h|^2 SNR)] at any SNR, rise with SNR, and join smoothly where the series takes over."""
    from scipy.integrate import quad

    from semcom.baselines.bound import scaled_exp1

    grid = [-80.0, -60.0, -40.0, -30.0, -29.0, -28.6, -28.0, -20.0, -17.0, -16.9, -10.0, 0.0, 10.0, 30.0]
    values = [capacity(s, "rayleigh") for s in grid]
    for snr_db, c in zip(grid, values):
        snr = 10 ** (snr_db / 10)
        ref = quad(lambda g: math.log1p(snr * g) * math.exp(-g), 0, math.inf, epsabs=0, epsrel=1e-12)[0] / math.log(2)
        assert math.isfinite(c) and c == pytest.approx(ref, rel=1e-8), snr_db
        assert c < capacity(snr_db)  # below AWGN at every SNR (Jensen)
    assert all(a < b for a, b in zip(values, values[1:]))
    assert scaled_exp1(50.0 - 1e-9) == pytest.approx(scaled_exp1(50.0), rel=1e-12)  # the two branches meet
    with pytest.raises(SemcomError, match="finite x > 0"):
        scaled_exp1(0.0)


def test_wilson_interval_and_summary_conventions() -> None:
    lo, hi = wilson(0, 100)
    assert lo == 0.0 and 0.03 < hi < 0.04
    lo, hi = wilson(50, 100)
    assert lo < 0.5 < hi
    row = summarize(np.array([30.0, 20.0, 25.0, 0.0]), np.array([True, False, True, False]),
                    np.array([False, False, False, True]), np.array([12.0, 13.0, 14.0, 15.0]))
    assert row["psnr"] == pytest.approx((30 + 0 + 25 + 0) / 4)  # the paper's convention
    assert row["psnr_mean_image"] == pytest.approx((30 + 13 + 25 + 15) / 4)  # failed -> mean image
    assert row["failure_rate"] == 0.5 and row["source_failure_rate"] == 0.25


def test_sscc_chain_over_awgn_fails_at_low_snr_and_delivers_at_high(images: np.ndarray) -> None:
    link = make_link("awgn", "4qam", "1/2", channel_uses=512)
    assert (link.k, link.channel_uses) == (512, 512)
    sc = rate_control(create_codec("jpeg"), images, link.k)
    mean = images.mean(0).round().astype(np.uint8)
    low, high = (transmit(sc, link, s, 0, images, mean) for s in (-4.0, 8.0))
    assert low["failure_rate"] == 1.0 and low["psnr"] == 0.0
    assert high["failure_rate"] == pytest.approx(sc.source_failed.mean())
    assert high["psnr"] == pytest.approx(float(np.nan_to_num(sc.psnr).mean()))
    bits = payload_bit_matrix(sc, link.k)
    assert bits.shape == (len(images), 512) and set(bits.unique().tolist()) <= {0.0, 1.0}


def test_mumimo_link_carries_given_payload_bits() -> None:
    link = make_link("umi", "4qam", "1/2", csi="perfect", num_subcarriers=32)
    assert link.k == 384  # B_max = 32 x 12 x 2 x 1/2 (eq. 10 of Li et al. 2025)
    bits = torch.randint(0, 2, (8, link.k), generator=torch.Generator().manual_seed(1)).float()
    hat = link.send(bits, 40.0, seed=0)
    assert torch.equal(hat, bits)


def test_ideal_bound_is_above_every_practical_point(images: np.ndarray) -> None:
    codecs = [create_codec("jpeg")]
    mean = images.mean(0).round().astype(np.uint8)
    links = [make_link("awgn", m, r, channel_uses=256) for m, r in (("4qam", "1/2"), ("16qam", "1/2"), ("16qam", "2/3"))]
    coded = [rate_control(codecs[0], images, ln.k) for ln in links]
    for snr in (0.0, 6.0, 12.0, 20.0):
        bound = ideal_point(codecs, images, mean, 256, snr)
        for ln, sc in zip(links, coded):
            r = transmit(sc, ln, snr, 0, images, mean)
            assert bound["psnr"] >= r["psnr"] - 1e-9
            assert bound["psnr_mean_image"] >= r["psnr_mean_image"] - 1e-9


def test_cli_baseline_writes_eval_format(tmp_path) -> None:
    rc = main(["baseline", "--codec", "jpeg", "--mod", "4qam", "--rate", "1/2", "--channel", "awgn",
               "--channel", "rayleigh", "--channel-uses", "256", "--dataset", "embedded", "--limit", "6",
               "--snr", "0,10", "--ideal", "--out", str(tmp_path), "--name", "b"])
    assert rc == 0
    res = read_results(tmp_path / "b.json")
    labels = {r["model"] for r in res["rows"]}
    assert {"sscc-jpeg-4qam-1/2", "sscc-ideal-jpeg", "sscc-ideal-ergodic-jpeg", "sscc-ideal-outage0.1-jpeg"} <= labels
    row = next(r for r in res["rows"] if r["model"] == "sscc-jpeg-4qam-1/2")
    assert row["k"] == 256 and row["bandwidth_ratio"] == pytest.approx(256 / 3072)
    assert "paper" in res["failure_conventions"]["psnr"]
    assert (tmp_path / "b.png").exists()
    assert main(["plot", str(tmp_path / "b.json"), "--out", str(tmp_path / "p.png")]) == 0
    assert json.loads((tmp_path / "b.json").read_text())["dataset"]["selection"] == "6 evenly spaced of 100"


def test_cli_baseline_bad_codec(capsys) -> None:
    assert main(["baseline", "--codec", "gif", "--dataset", "embedded", "--channel-uses", "64"]) == 2
    assert "--codec='gif'; expected one of" in capsys.readouterr().err


def test_quality_table_equals_rate_control(images: np.ndarray) -> None:
    from semcom.baselines.bound import QualityTable

    codec = create_codec("jpeg")
    table = QualityTable(codec, images[:4])
    for budget in (150, 8 * 40, 8 * 100, 8 * 400):
        sc = rate_control(codec, images[:4], budget)
        assert np.allclose(np.nan_to_num(table.psnr_at(budget), nan=-1), np.nan_to_num(sc.psnr, nan=-1))


def test_sscc_report_from_small_runs(tmp_path) -> None:
    from semcom.reports.sscc import report

    common = ["--codec", "jpeg", "--dataset", "embedded", "--limit", "4", "--no-plot", "--out", str(tmp_path)]
    assert main(["baseline", *common, "--mod", "4qam", "--rate", "1/2", "--channel", "umi", "--channel", "rma",
                 "--snr", "5,25", "--name", "fig8_nf32"]) == 0
    assert main(["baseline", *common, "--mod", "16qam", "--rate", "1/2", "--channel", "awgn", "--channel-uses", "264",
                 "--snr", "0,10,20", "--ideal", "--name", "p2p_k264"]) == 0
    report(tmp_path, tmp_path / "no_dlps")
    st = json.loads((tmp_path / "statements.json").read_text())
    assert st["awgn_k264_bound_above_every_practical_point"] is True
    assert "umi/jpeg/4qam/1/2" in st["fig8"]
    assert (tmp_path / "fig8_nf32.png").exists() and (tmp_path / "p2p_vs_djscc.png").exists()
    assert "paper's convention" in (tmp_path / "README.md").read_text()


def test_mean_interval_normal_approximation() -> None:
    import statistics

    from semcom.metrics.intervals import mean_interval

    vals = [0.1 * i for i in range(400)]
    m, lo, hi = mean_interval(vals)
    half = 1.959964 * statistics.stdev(vals) / 20.0
    assert m == pytest.approx(19.95) and hi - m == pytest.approx(half, rel=1e-6) and m - lo == pytest.approx(half, rel=1e-6)
    assert mean_interval(vals, level=0.5)[2] - m < half
    with pytest.raises(ValueError, match=">= 2 values"):
        mean_interval([1.0])
