from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true", default=False,
                     help="rewrite tests/golden/*.json from the current code (on purpose only)")


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["SEMCOM_CACHE"] = str(tmp_path_factory.mktemp("semcom-cache"))
    warnings.filterwarnings("ignore", ".*does not have many workers.*")


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))


@pytest.fixture(scope="session")
def cifar_root() -> Path:
    root = SHARED / "cifar10"
    if not (root / "cifar10-test-000000.tar.gz").exists():
        pytest.skip("the shared CIFAR-10 shards are not beside this checkout")
    return root.resolve()


@pytest.fixture(scope="session")
def kodak_root() -> Path:
    root = SHARED / "kodak"
    if not (root / "kodim01.png").exists():
        pytest.skip("the shared Kodak images are not beside this checkout")
    return root.resolve()
