"""The ideal separation bound, "SSCC (ideal)": the best codec given capacity x channel uses bits.

A separate design can at best deliver C bits per complex channel use without error, so with n channel
uses per image the codec may spend floor(n * C) bits (link header included). Per image we take the
largest quality of the codec that fits that budget (rate control of :mod:`semcom.baselines.sscc`), and
with several codecs the best of them for that image (a receiver needs a few bits to know which: not
counted). An image that fits at no quality counts as failed, with the same two accountings as SSCC.

Capacities, SNR = Es/N0 per complex channel use (:func:`capacity`):

* AWGN: C = log2(1 + SNR);
* block Rayleigh, ergodic (coding over many fades): C = E[log2(1 + |h|^2 SNR)] = e^{1/SNR} E1(1/SNR) / ln 2;
* block Rayleigh, outage (one fade per image, the relevant limit for a one-codeword image): the rate
  C_eps = log2(1 - SNR ln(1 - eps)) is supported with probability 1 - eps; the other eps of the images
  fail. The expected per-image PSNR is (1 - eps) * PSNR(C_eps) + eps * (failed image).

No bound is given for the 3GPP MU-MISO downlink: its per-user capacity depends on the precoder and
the multi-user channel and is not a single-letter formula; ``semcom baseline`` says so.
"""

from __future__ import annotations

import math

import numpy as np

from semcom.baselines.codecs import Codec
from semcom.baselines.sscc import mean_image_psnr, psnr_uint8, summarize
from semcom.errors import SemcomError


def capacity(snr_db: float, channel: str = "awgn", outage: float | None = None) -> float:
    """Bits per complex channel use at Es/N0 = ``snr_db``; see the module docstring."""
    snr = 10.0 ** (snr_db / 10.0)
    if channel == "awgn":
        return math.log1p(snr) / math.log(2.0)
    if channel == "rayleigh":
        if outage is None:
            return scaled_exp1(1.0 / snr) / math.log(2.0)
        if not 0.0 < outage < 1.0:
            raise SemcomError(f"outage probability {outage} must be in (0, 1)")
        return math.log1p(-snr * math.log1p(-outage)) / math.log(2.0)
    raise SemcomError(f"no capacity formula for channel {channel!r}; expected awgn or rayleigh")


def scaled_exp1(x: float) -> float:
    """e^x E1(x) for x > 0, finite for every x (the Rayleigh ergodic capacity is e^{1/SNR} E1(1/SNR) / ln 2).

    The product of the two factors overflows (e^x) and underflows (E1) above x ~ 709, i.e. below about
    -28.5 dB; there the asymptotic series 1/x sum_n (-1)^n n! / x^n is summed instead (from x = 50 on, where
    its smallest term is below 1e-17 of the sum)."""
    if not x > 0.0 or not math.isfinite(x):
        raise SemcomError(f"scaled_exp1 needs a finite x > 0, got {x!r}")
    if x < 50.0:
        from scipy.special import exp1

        return float(math.exp(x) * exp1(x))
    total, term, n = 0.0, 1.0 / x, 0
    while abs(term) > 1e-18 * abs(total) or n == 0:
        total += term
        n += 1
        nxt = -term * n / x
        if abs(nxt) >= abs(term):  # the series is asymptotic: stop before its terms grow
            break
        term = nxt
    return total


class QualityTable:
    """Payload bits and decoded PSNR of every image at every quality of a codec's ladder, computed once;
    ``psnr_at(budget)`` is then exact rate control (largest fitting quality) for any budget."""

    def __init__(self, codec: Codec, images: np.ndarray) -> None:
        self.bits = np.zeros((len(images), len(codec.qualities)), np.int64)
        self.psnr = np.zeros((len(images), len(codec.qualities)))
        for i, img in enumerate(images):
            for j, q in enumerate(codec.qualities):
                data = codec.encode(img, q)
                self.bits[i, j] = codec.payload_bits(data)
                self.psnr[i, j] = psnr_uint8(img[None], codec.decode(data, img.shape)[None])[0]

    def psnr_at(self, budget: int) -> np.ndarray:
        """Per-image PSNR at the largest quality whose payload fits ``budget`` bits (NaN where none fits)."""
        fits = self.bits <= budget
        j = np.where(fits.any(1), fits.shape[1] - 1 - np.argmax(fits[:, ::-1], axis=1), -1)
        out = np.where(j >= 0, self.psnr[np.arange(len(j)), np.maximum(j, 0)], np.nan)
        return out


_TABLES: dict[tuple[int, int], QualityTable] = {}


def quality_table(codec: Codec, images: np.ndarray) -> QualityTable:
    key = (id(codec), id(images))
    if key not in _TABLES:
        _TABLES[key] = QualityTable(codec, images)
    return _TABLES[key]


def ideal_point(codecs: list[Codec], images: np.ndarray, mean_image: np.ndarray, channel_uses: int, snr_db: float,
                channel: str = "awgn", outage: float | None = None, mean_psnr: np.ndarray | None = None) -> dict:
    """One SNR point of the bound for ``images`` (uint8 [N, H, W, 3])."""
    c = capacity(snr_db, channel, outage)
    budget = int(math.floor(channel_uses * c))
    if mean_psnr is None:
        mean_psnr = mean_image_psnr(images, mean_image)
    best = np.full(len(images), np.nan)
    for codec in codecs:
        best = np.fmax(best, quality_table(codec, images).psnr_at(budget))
    src_failed = np.isnan(best)
    received = ~src_failed
    row = summarize(np.nan_to_num(best), received, src_failed, mean_psnr)
    if outage is not None:  # a fraction eps of the images is in outage and fails
        row["psnr"] = (1 - outage) * row["psnr"]
        row["psnr_mean_image"] = (1 - outage) * row["psnr_mean_image"] + outage * float(mean_psnr.mean())
        row["failure_rate"] = outage + (1 - outage) * row["failure_rate"]
        row["psnr_ci95"] = row["psnr_mean_image_ci95"] = None
        row["failure_rate_ci95"] = None
    row.update({"capacity_bits_per_use": round(c, 5), "budget_bits": budget})
    return row
