"""The dataset loaders on small generated files in each format, and their one-line errors."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from archsearch.proxies import DatasetError, load_dataset
from archsearch.proxies.datasets import SYNTHETIC_CLASSES


def _images(n: int, side: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, side, side, 3), dtype=np.uint8), np.arange(n) % 3


def test_synthetic_is_the_deterministic_default() -> None:
    a, b = load_dataset(None), load_dataset("synthetic")
    assert a.num_classes == len(SYNTHETIC_CLASSES) and a.resolution == 32
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    assert a.x_train.dtype == np.uint8 and len(a.x_test) > 0
    # Colour alone does not separate the classes: per-class mean colours are close.
    means = np.array([a.x_train[a.y_train == c].mean((0, 1, 2)) for c in range(a.num_classes)])
    assert np.ptp(means, axis=0).max() < 12


def test_cifar10_batches_folder(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for i, name in enumerate([*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]):
        x, y = _images(4, seed=i)
        with (folder / name).open("wb") as f:
            pickle.dump({b"data": x.transpose(0, 3, 1, 2).reshape(4, -1), b"labels": y.tolist()}, f)
    with (folder / "batches.meta").open("wb") as f:
        pickle.dump({b"label_names": [b"cat", b"dog", b"eel"]}, f)
    d = load_dataset(f"cifar10:{tmp_path}")
    x0, _ = _images(4, seed=0)
    assert d.x_train.shape == (20, 32, 32, 3) and len(d.x_test) == 4 and d.classes == ("cat", "dog", "eel")
    assert np.array_equal(d.x_train[:4], x0)


def test_cifar10_and_npz_files(tmp_path: Path) -> None:
    x, y = _images(10)
    np.savez(
        tmp_path / "full.npz",
        x_train=x,
        y_train=y,
        x_test=x[:3],
        y_test=y[:3],
        classes=np.array(["a", "b", "c"]),
    )
    d = load_dataset(f"cifar10:{tmp_path / 'full.npz'}")
    assert (len(d.x_train), len(d.x_test), d.classes) == (10, 3, ("a", "b", "c"))
    np.savez(tmp_path / "train_only.npz", x_train=x, y_train=y)
    d = load_dataset(f"npz:{tmp_path / 'train_only.npz'}")
    assert (len(d.x_train), len(d.x_test), d.num_classes) == (8, 2, 3)


@pytest.mark.parametrize("split", [False, True])
def test_imagefolder(tmp_path: Path, split: bool) -> None:
    x, y = _images(9)
    for part in ("train", "val") if split else ("",):
        for i, (img, label) in enumerate(zip(x, y, strict=True)):
            d = tmp_path / part / f"class{label}"
            d.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(d / f"{i}.png")
    data = load_dataset(f"imagefolder:{tmp_path}")
    assert data.classes == ("class0", "class1", "class2")
    assert (len(data.x_train), len(data.x_test)) == ((9, 9) if split else (8, 1))


def test_shared_cifar_subset(shared_data: Path) -> None:
    d = load_dataset(f"cifar10:{shared_data / 'cifar10/cifar10_subset_10k_2k.npz'}")
    assert d.x_train.shape == (10000, 32, 32, 3) and len(d.x_test) == 2000 and d.num_classes == 10


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("imagenet", "unknown dataset"),
        ("npz:", "unknown dataset"),
        ("npz:{tmp}/missing.npz", "not found"),
        ("npz:{tmp}/garbage.npz", "cannot read"),
        ("npz:{tmp}/wrong_keys.npz", "needs arrays x_train and y_train"),
        ("npz:{tmp}/bad_shape.npz", "squares"),
        ("cifar10:{tmp}", "data_batch_1 missing"),
        ("imagefolder:{tmp}/empty", "one sub-folder per class"),
    ],
)
def test_bad_datasets_are_one_line_errors(tmp_path: Path, spec: str, message: str) -> None:
    (tmp_path / "garbage.npz").write_bytes(b"not a zip file at all")
    np.savez(tmp_path / "wrong_keys.npz", images=np.zeros(3))
    np.savez(tmp_path / "bad_shape.npz", x_train=np.zeros((4, 8, 6, 3), np.uint8), y_train=np.zeros(4, int))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=message) as e:
        load_dataset(spec.format(tmp=tmp_path))
    assert "\n" not in str(e.value)
