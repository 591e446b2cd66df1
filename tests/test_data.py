"""Datasets: shards, official archive, checked download, image folders, the embedded subset."""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from semcom import SemcomError
from semcom.data import CIFAR10, EmbeddedCIFAR10, ImageFolder, build_dataset, download, download_cifar10


def _add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tf.addfile(info, io.BytesIO(data))


def make_shard(path: Path, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    with tarfile.open(path, "w:gz") as tf:
        for i, im in enumerate(images):
            buf = io.BytesIO()
            Image.fromarray(im).save(buf, format="PNG")
            _add(tf, f"s-{i:04d}.png", buf.getvalue())
            _add(tf, f"s-{i:04d}.cls", str(i % 10).encode())
    return images


def make_official_archive(path: Path, n: int = 4) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    out = {}
    with tarfile.open(path, "w:gz") as tf:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
            out[name] = data
            blob = pickle.dumps({b"data": data, b"labels": list(range(n))})
            _add(tf, f"cifar-10-batches-py/{name}", blob)
    return out


def test_shards_are_read_losslessly_and_cached(tmp_path: Path) -> None:
    images = make_shard(tmp_path / "cifar10-test-000000.tar.gz", 12)
    ds = CIFAR10(tmp_path, split="test")
    assert len(ds) == 12 and ds.source.startswith("webdataset")
    img, label = ds[3]
    assert img.dtype == torch.uint8 and img.shape == (3, 32, 32) and int(label) == 3
    assert np.array_equal(ds.images.permute(0, 2, 3, 1).numpy(), images)
    # second construction reads the uint8 cache
    assert np.array_equal(CIFAR10(tmp_path, split="test").images.numpy(), ds.images.numpy())


def test_official_archive_and_extracted_batches(tmp_path: Path) -> None:
    batches = make_official_archive(tmp_path / "cifar-10-python.tar.gz")
    ds = CIFAR10(tmp_path, split="train")
    assert len(ds) == 20 and ds.source == "official python archive"
    first = batches["data_batch_1"][0].reshape(3, 32, 32)
    assert np.array_equal(ds.images[0].numpy(), first)
    with tarfile.open(tmp_path / "cifar-10-python.tar.gz") as tf:
        tf.extractall(tmp_path / "x", filter="data")
    ds2 = CIFAR10(tmp_path / "x", split="test")
    assert ds2.source == "official python batches" and len(ds2) == 4


def test_download_verifies_the_checksum_before_anything_lands(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    make_official_archive(src / "cifar-10-python.tar.gz")
    url = (src / "cifar-10-python.tar.gz").as_uri()
    md5 = hashlib.md5((src / "cifar-10-python.tar.gz").read_bytes()).hexdigest()
    dest = tmp_path / "dest"
    with pytest.raises(SemcomError, match="checksum mismatch.*nothing was written"):
        download_cifar10(dest, url=url, md5="0" * 32)
    assert not dest.exists() or not any(dest.iterdir())
    download_cifar10(dest, url=url, md5=md5)
    assert len(CIFAR10(dest, split="test")) == 4
    with pytest.raises(SemcomError, match="could not download"):
        download((tmp_path / "missing.bin").as_uri(), tmp_path / "out.bin")


def test_missing_and_corrupt_datasets_get_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(SemcomError, match="no CIFAR-10 found at .*download"):
        CIFAR10(tmp_path / "nowhere", split="train")
    (tmp_path / "cifar10-train-000000.tar.gz").write_bytes(b"not a tar file at all")
    with pytest.raises(SemcomError, match="corrupt CIFAR-10 shard"):
        CIFAR10(tmp_path, split="train")
    with pytest.raises(SemcomError, match="split 'val'"):
        CIFAR10(tmp_path, split="val")
    with pytest.raises(SemcomError, match="unknown dataset"):
        build_dataset("imagenet")


def test_shared_cifar10_test_shard(cifar_root: Path) -> None:
    ds = CIFAR10(cifar_root, split="test")
    assert len(ds) == 10_000
    assert torch.bincount(ds.labels).tolist() == [1000] * 10
    # the decoded-array hash documented in ../shared/data/cifar10/README.md (Pillow decode)
    digest = hashlib.sha256(ds.images.permute(0, 2, 3, 1).contiguous().numpy().tobytes()).hexdigest()
    assert digest == "5a6aa8185204d80b65d3dfb540696dadd5f10d185ded226a96665d3e0fc6259f"


def test_embedded_subset() -> None:
    train, test = EmbeddedCIFAR10("train"), EmbeddedCIFAR10("test")
    assert len(train) == 500 and len(test) == 100
    assert set(test.labels.tolist()) == set(range(10))
    assert train.images.dtype == torch.uint8
    assert len(build_dataset("embedded", split="test", limit=10)) == 10


def test_embedded_subset_is_real_cifar10(cifar_root: Path) -> None:
    from semcom.data.embedded import NUM_IMAGES

    full = CIFAR10(cifar_root, split="test")
    pick = np.linspace(0, len(full) - 1, NUM_IMAGES).round().astype(int)
    all_ = EmbeddedCIFAR10("all")
    assert torch.equal(all_.images, full.images[pick])


def test_image_folder_crops(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate([(40, 50), (50, 40)]):
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(tmp_path / f"im{i}.png")
    (tmp_path / "notes.txt").write_text("ignored")
    ds = ImageFolder(tmp_path, crop=32)
    assert len(ds) == 2 and ds[0][0].shape == (3, 32, 32)
    assert torch.equal(ds[0][0], ImageFolder(tmp_path, crop=32)[0][0])  # centre crop is deterministic
    whole = ImageFolder(tmp_path, size_multiple=4)
    assert whole[0][0].shape == (3, 40, 48)
    with pytest.raises(SemcomError, match="larger than image"):
        ImageFolder(tmp_path, crop=45)
    (tmp_path / "bad.png").write_bytes(b"garbage")
    with pytest.raises(SemcomError, match="corrupt image"):
        ImageFolder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SemcomError, match="holds no image"):
        ImageFolder(tmp_path / "empty")
    with pytest.raises(SemcomError, match="does not exist"):
        ImageFolder(tmp_path / "missing")


def test_kodak(kodak_root: Path) -> None:
    ds = build_dataset("kodak", root=kodak_root)
    assert len(ds) == 24
    shapes = {tuple(ds[i][0].shape) for i in range(len(ds))}
    assert shapes == {(3, 512, 768), (3, 768, 512)}
    crops = ImageFolder(kodak_root, crop=256, random_crop=True)
    assert crops[0][0].shape == (3, 256, 256)


def test_class_selection_by_name_index_and_group() -> None:
    from semcom.data import build_dataset, class_indices
    from semcom.errors import SemcomError

    assert class_indices("animals") == [2, 3, 4, 5, 6, 7] and class_indices("vehicles") == [0, 1, 8, 9]
    assert class_indices(["cat", 0]) == [0, 3] and class_indices("truck,1") == [1, 9] and class_indices(None) is None
    full = build_dataset("embedded", "train")
    ds = build_dataset("embedded", "train", classes="vehicles")
    assert set(ds.labels.tolist()) <= {0, 1, 8, 9} and len(ds) == sum(int(v in (0, 1, 8, 9)) for v in full.labels.tolist())
    assert len(build_dataset("embedded", "train", classes="vehicles", limit=3)) == 3  # classes first, then the limit
    with pytest.raises(SemcomError, match="class 'tiger' does not exist"):
        class_indices("tiger")
    with pytest.raises(SemcomError, match="needs a labelled dataset"):
        build_dataset("kodak", classes="animals")
