"""Image-classification datasets for proxies and short training, loaded fully into memory.

Specs: `synthetic` (the default: generated, offline, deterministic), `cifar10:PATH` (a
`cifar-10-batches-py` folder or an `.npz` with x_train/y_train/x_test/y_test), `npz:PATH` (that layout;
without a test split 20% of the training images are held out), `imagefolder:PATH` (`PATH/<class>/*.png`,
or `PATH/train/<class>` and `PATH/val/<class>` or `PATH/test/<class>`). Nothing is ever downloaded.
"""

from __future__ import annotations

import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from archsearch.proxies.errors import DatasetError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".gif", ".webp")
SYNTHETIC_CLASSES = ("horizontal", "vertical", "diagonal", "antidiagonal", "checker", "ring")


@dataclass(frozen=True)
class Dataset:
    """uint8 images (N, H, W, C) and int64 labels, a training and a held-out split."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def resolution(self) -> int:
        return self.x_train.shape[1]


def load_dataset(spec: str | None = None) -> Dataset:
    """The dataset named by `spec` (see the module docstring); `None` means `synthetic`."""
    spec = spec or "synthetic"
    kind, _, path = spec.partition(":")
    if kind == "synthetic" and not path:
        return synthetic()
    loaders = {"cifar10": _cifar10, "npz": _npz, "imagefolder": _imagefolder}
    if kind not in loaders or not path:
        raise DatasetError(
            f"unknown dataset {spec!r}; use synthetic, cifar10:PATH, npz:PATH or imagefolder:PATH"
        )
    p = Path(path).expanduser()
    if not p.exists():
        raise DatasetError(f"dataset path not found: {p}")
    try:
        return _check(loaders[kind](p), spec)
    except (OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile) as e:
        if isinstance(e, DatasetError):
            raise
        raise DatasetError(f"cannot read dataset {spec!r}: {type(e).__name__}: {e}") from None


def synthetic(n_train: int = 3000, n_test: int = 600, size: int = 32, seed: int = 0) -> Dataset:
    """Six classes of oriented stripes, checkerboards and rings with random colours, phase, frequency
    and noise: colour statistics carry no label information, only spatial structure does."""
    rng = np.random.default_rng(seed)
    n = n_train + n_test
    y = np.arange(n) % len(SYNTHETIC_CLASSES)
    rng.shuffle(y)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    freq = rng.uniform(2.0, 5.0, n)[:, None, None]
    phase = rng.uniform(0, 2 * np.pi, n)[:, None, None]
    cy, cx = rng.uniform(0.3, 0.7, (2, n))[:, :, None, None]
    coords = {
        0: yy[None],
        1: xx[None],
        2: ((xx + yy) / np.sqrt(2))[None],
        3: ((xx - yy) / np.sqrt(2))[None],
    }
    pattern = np.empty((n, size, size), np.float32)
    for c in range(len(SYNTHETIC_CLASSES)):
        idx = y == c
        f, ph = freq[idx], phase[idx]
        if c in coords:
            pattern[idx] = np.sin(2 * np.pi * f * coords[c] + ph)
        elif c == 4:
            pattern[idx] = np.sin(2 * np.pi * f * xx[None] + ph) * np.sin(2 * np.pi * f * yy[None] + ph)
        else:
            r = np.sqrt((xx[None] - cx[idx]) ** 2 + (yy[None] - cy[idx]) ** 2)
            pattern[idx] = np.sin(2 * np.pi * 2 * f * r + ph)
    fg, bg = rng.uniform(0, 255, (2, n, 1, 1, 3)).astype(np.float32)
    t = (pattern[..., None] + 1) / 2
    img = t * fg + (1 - t) * bg + rng.normal(0, 20, (n, size, size, 3))
    img = np.clip(img, 0, 255).astype(np.uint8)
    return Dataset("synthetic", img[:n_train], y[:n_train], img[n_train:], y[n_train:], SYNTHETIC_CLASSES)


def _cifar10(p: Path) -> Dataset:
    if p.is_file():
        return _npz(p, "cifar10")
    folder = p / "cifar-10-batches-py" if (p / "cifar-10-batches-py").is_dir() else p
    train = [_unpickle(folder / f"data_batch_{i}") for i in range(1, 6)]
    test = _unpickle(folder / "test_batch")
    meta = folder / "batches.meta"
    classes = (
        [c.decode() if isinstance(c, bytes) else str(c) for c in _unpickle(meta)[b"label_names"]]
        if meta.is_file()
        else None
    )

    def images(batches: list[dict]) -> np.ndarray:
        data = np.concatenate([np.asarray(b[b"data"], np.uint8) for b in batches])
        return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)

    def labels(batches: list[dict]) -> np.ndarray:
        return np.concatenate([np.asarray(b[b"labels"], np.int64) for b in batches])

    x, y = images(train), labels(train)
    return Dataset("cifar10", x, y, images([test]), labels([test]), tuple(classes or _class_names(y)))


def _unpickle(path: Path) -> dict:
    if not path.is_file():
        raise DatasetError(f"not a cifar-10-batches-py folder: {path.name} missing in {path.parent}")
    with path.open("rb") as f:
        return pickle.load(f, encoding="bytes")  # the official batches are pickles; only read trusted files


def _npz(p: Path, name: str = "npz") -> Dataset:
    with np.load(p, allow_pickle=False) as d:
        if "x_train" not in d or "y_train" not in d:
            raise DatasetError(
                f"{p}: an .npz dataset needs arrays x_train and y_train (found {', '.join(d.files)})"
            )
        x, y = d["x_train"], d["y_train"].astype(np.int64)
        if "x_test" in d and "y_test" in d:
            xt, yt = d["x_test"], d["y_test"].astype(np.int64)
        else:
            cut = len(x) - max(1, len(x) // 5)
            x, xt, y, yt = x[:cut], x[cut:], y[:cut], y[cut:]
        classes = tuple(str(c) for c in d["classes"]) if "classes" in d else None
    return Dataset(name, x, y, xt, yt, classes or _class_names(np.concatenate([y, yt])))


def _imagefolder(p: Path) -> Dataset:
    from PIL import Image

    split_dirs = [p / s for s in ("val", "test") if (p / s).is_dir()]
    train_dir = p / "train" if (p / "train").is_dir() and split_dirs else p
    classes = sorted(d.name for d in train_dir.iterdir() if d.is_dir())
    if not classes:
        raise DatasetError(f"{train_dir}: an image folder needs one sub-folder per class")

    def read(root: Path) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = [], []
        for label, c in enumerate(classes):
            for f in sorted((root / c).iterdir()) if (root / c).is_dir() else []:
                if f.suffix.lower() in IMAGE_SUFFIXES:
                    with Image.open(f) as im:
                        xs.append(np.asarray(im.convert("RGB")))
                    ys.append(label)
        if not xs:
            raise DatasetError(f"{root}: no images ({', '.join(IMAGE_SUFFIXES)}) in the class folders")
        if len({x.shape for x in xs}) > 1:
            raise DatasetError(f"{root}: images must all have the same size")
        return np.stack(xs), np.asarray(ys, np.int64)

    x, y = read(train_dir)
    if split_dirs:
        xt, yt = read(split_dirs[0])
    else:
        order = np.random.default_rng(0).permutation(len(x))
        cut = len(x) - max(1, len(x) // 5)
        x, xt, y, yt = x[order[:cut]], x[order[cut:]], y[order[:cut]], y[order[cut:]]
    return Dataset(f"imagefolder:{p.name}", x, y, xt, yt, tuple(classes))


def _class_names(y: np.ndarray) -> tuple[str, ...]:
    return tuple(str(i) for i in range(int(y.max()) + 1))


def _check(d: Dataset, spec: str) -> Dataset:
    for split, x, y in (("train", d.x_train, d.y_train), ("test", d.x_test, d.y_test)):
        if x.ndim != 4 or x.shape[-1] not in (1, 3) or x.shape[1] != x.shape[2]:
            raise DatasetError(f"{spec}: {split} images must be (N, H, W, 1|3) squares, got {x.shape}")
        if len(x) != len(y) or len(x) == 0:
            raise DatasetError(f"{spec}: {split} has {len(x)} images and {len(y)} labels")
        if y.min() < 0 or y.max() >= d.num_classes:
            raise DatasetError(f"{spec}: {split} labels must lie in 0..{d.num_classes - 1}")
    if d.x_train.shape[1:] != d.x_test.shape[1:]:
        raise DatasetError(f"{spec}: train and test images differ in shape")
    return d
