"""DeepJSCC model and the model registry."""

from __future__ import annotations

import pytest
import torch

import semcom.models as M
from semcom import SemcomError


@pytest.mark.parametrize("k", [88, 264, 32, 1])
def test_djscc_reaches_any_k_with_the_linear_adapter(k: int) -> None:
    model = M.create("djscc", k=k)
    z = model.encode(torch.rand(2, 3, 32, 32))
    assert z.shape == (2, 2 * k)
    out = model.decode(z)
    assert out.shape == (2, 3, 32, 32) and out.min() >= 0 and out.max() <= 1
    assert model.bandwidth_ratio == pytest.approx(k / 3072)


def test_paper_bandwidth_ratios() -> None:
    assert M.create("djscc", k=88).bandwidth_ratio == pytest.approx(0.02865, abs=1e-5)
    assert M.create("djscc", k=264).bandwidth_ratio == pytest.approx(0.08594, abs=1e-5)


def test_pure_convolutional_model_is_fully_convolutional() -> None:
    model = M.create("bourtsoulatze2019", k=256, adapter="none")  # c = 16: K/N = 1/12
    assert model.latent_shape == (8, 8, 8) or model.latent_shape[0] == 8
    assert model(torch.rand(1, 3, 32, 32)).shape == (1, 3, 32, 32)
    # larger images give more symbols
    assert model.encode(torch.rand(1, 3, 64, 64)).shape == (1, 4 * 2 * 256)
    assert model(torch.rand(1, 3, 64, 48)).shape == (1, 3, 64, 48)


def test_a_k_the_model_cannot_produce_is_refused() -> None:
    with pytest.raises(SemcomError, match="K=88 cannot be produced.*multiple of 32.*adapter='linear'"):
        M.create("djscc", k=88, adapter="none")
    with pytest.raises(SemcomError, match="positive integer"):
        M.create("djscc", k=0)
    with pytest.raises(SemcomError, match="positive integer"):
        M.create("djscc", k=8.5)  # type: ignore[arg-type]
    with pytest.raises(SemcomError, match="multiples of 4"):
        M.create("djscc", k=8, image_size=30)


def test_linear_model_refuses_other_image_sizes() -> None:
    with pytest.raises(SemcomError, match="built for 32x32"):
        M.create("djscc", k=88).encode(torch.rand(1, 3, 64, 64))


def test_registry_errors_and_listing() -> None:
    with pytest.raises(SemcomError, match="unknown model 'djscc2'.*bourtsoulatze2019"):
        M.create("djscc2", k=8)
    with pytest.raises(SemcomError, match="has no option 'kk'"):
        M.create("djscc", kk=8)
    names = [row[0] for row in M.describe()]
    assert "bourtsoulatze2019" in names
    assert M.MODELS.canonical("djscc") == "bourtsoulatze2019"


def test_model_holds_no_channel() -> None:
    import semcom.channels as C

    model = M.create("djscc", k=64)
    assert not any(isinstance(m, C.Channel) for m in model.modules())
