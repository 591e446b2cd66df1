"""The pretrained zoo (semcom.zoo): every committed entry's golden numbers, the hash checks, the lookup order
(cache, path, package, URL), and the `semcom zoo` commands."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

import semcom.zoo as zoo
from semcom.cli import main
from semcom.errors import SemcomError
from semcom.zoo.publish import golden_numbers

ENTRIES = list(zoo.entries().values())
FIRST = ENTRIES[0].name if ENTRIES else "none"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the user's cache or environment."""
    monkeypatch.setenv("SEMCOM_ZOO_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("SEMCOM_ZOO_PATH", raising=False)
    monkeypatch.delenv("SEMCOM_ZOO_URL", raising=False)


def test_the_zoo_has_committed_entries_with_matching_files() -> None:
    assert ENTRIES, "the manifest lists no model"
    for e in ENTRIES:
        f = zoo.WEIGHTS / e.file
        assert f.is_file(), f"{e.name}: {f} is not committed"
        assert zoo.sha256_file(f) == e.sha256 and f.stat().st_size == e.size_bytes
        assert e.training["converged"]["gain"] < e.training["converged"]["min_gain"]  # only converged models
        assert Path(e.recipe).is_file()


@pytest.mark.parametrize("name", [e.name for e in ENTRIES])
def test_golden_numbers_are_reproduced(name: str) -> None:
    e = zoo.get(name)
    got = golden_numbers(zoo.locate(name, download=False), channel=e.channel.split()[0],
                         snr_db=e.golden["snr_db"])
    assert got["num_images"] == e.golden["num_images"] == 100
    assert got["psnr"] == pytest.approx(e.golden["psnr"], abs=2e-3)
    assert got["psnr_of_mean_mse"] == pytest.approx(e.golden["psnr_of_mean_mse"], abs=2e-3)
    assert all(m <= p for m, p in zip(got["psnr_of_mean_mse"], got["psnr"]))  # Jensen


def test_load_by_name_gives_a_working_system() -> None:
    system = zoo.load(FIRST.replace("-", "_").upper(), download=False)  # any spelling
    assert not system.training
    x = torch.rand(2, 3, 32, 32)
    y = system(x, torch.tensor([0.0, 20.0]), generator=torch.Generator().manual_seed(0))
    assert y.shape == x.shape and y.dtype == torch.float32


def test_unknown_name_suggests_close_ones() -> None:
    with pytest.raises(SemcomError, match="did you mean " + FIRST):
        zoo.get(FIRST[:-1] + "9")


def test_a_corrupted_file_is_refused_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "w.ckpt"
    data = bytearray((zoo.WEIGHTS / zoo.get(FIRST).file).read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(SemcomError, match="has SHA-256 .* expected .* corrupt") as err:
        zoo.locate(FIRST, path=bad)
    assert "\n" not in str(err.value)
    assert main(["zoo", "eval", FIRST, "--at", str(bad), "--out", str(tmp_path / "o"), "--no-plot"]) == 2
    assert not (tmp_path / "o" / "zoo.json").exists()


def test_lookup_order_cache_then_path_then_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    e = zoo.get(FIRST)
    assert zoo.locate(FIRST) == zoo.WEIGHTS / e.file  # nothing else: the package's file
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(zoo.WEIGHTS / e.file, folder / e.file)
    monkeypatch.setenv("SEMCOM_ZOO_PATH", str(folder))
    assert zoo.locate(FIRST) == folder / e.file
    cache = zoo.cache_dir()
    cache.mkdir(parents=True)
    shutil.copy(zoo.WEIGHTS / e.file, cache / e.file)
    assert zoo.locate(FIRST) == cache / e.file


def test_nothing_found_names_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(SemcomError, match="no weights for zoo model .* no URL is known .*put the file"):
        zoo.locate(FIRST, package_dir=tmp_path / "empty")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "mirror"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()


def test_url_download_is_hash_checked(server: tuple[str, Path], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    url, root = server
    e = zoo.get(FIRST)
    monkeypatch.setenv("SEMCOM_ZOO_URL", url)
    empty = tmp_path / "no-package"
    with pytest.raises(SemcomError, match="downloads are off"):
        zoo.locate(FIRST, package_dir=empty, download=False)
    (root / e.file).write_bytes(b"not the weights")
    with pytest.raises(SemcomError, match="wrong hash"):
        zoo.locate(FIRST, package_dir=empty)
    assert not (zoo.cache_dir() / e.file).exists()
    shutil.copy(zoo.WEIGHTS / e.file, root / e.file)
    got = zoo.locate(FIRST, package_dir=empty)
    assert got == zoo.cache_dir() / e.file and zoo.sha256_file(got) == e.sha256


def test_cli_list_and_eval(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["zoo", "list"]) == 0
    listed = capsys.readouterr().out
    assert FIRST in listed and "package" in listed
    e = zoo.get(FIRST)
    out = tmp_path / "eval"
    assert main(["zoo", "eval", FIRST, "--dataset", "embedded", "--snr", "0,10,20", "--metrics", "psnr",
                 "--out", str(out), "--no-plot"]) == 0
    res = json.loads((out / "zoo.json").read_text())
    assert [r["psnr"] for r in res["rows"]] == pytest.approx(e.golden["psnr"], abs=2e-3)
    assert res["models"][0]["zoo"]["sha256"] == e.sha256
    assert main(["zoo", "eval", "no-such-model", "--out", str(tmp_path / "x")]) == 2
    assert main(["zoo", "path", FIRST, "--offline"]) == 0
