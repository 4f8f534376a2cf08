"""Find named spaces, hardware profiles and accuracy estimators: the working directory's folders first, then the repository
checkout this package runs from, then the copies installed with the package (so `pip install .` works
from any directory)."""

from __future__ import annotations

from pathlib import Path

FOLDERS = ("search_spaces", "hardware_profiles", "accuracy_estimators")
KINDS = {
    "search_spaces": "space",
    "hardware_profiles": "hardware profile",
    "accuracy_estimators": "accuracy estimator",
}


class UnknownNameError(LookupError):
    """A space, profile or baseline name that does not exist (message lists the available ones)."""


def search_dirs(folder: str) -> list[Path]:
    assert folder in FOLDERS
    package = Path(__file__).resolve().parent
    dirs = [Path.cwd() / folder, package.parent / folder, package / folder]
    seen, out = set(), []
    for d in dirs:
        if d.is_dir() and d.resolve() not in seen:
            seen.add(d.resolve())
            out.append(d)
    return out


def available(folder: str, suffix: str = ".yaml") -> list[str]:
    names = {p.stem for d in search_dirs(folder) for p in d.glob(f"*{suffix}")}
    return sorted(names)


def find(folder: str, name: str, suffix: str = ".yaml") -> Path:
    """Path of `name` (a bare name or an existing file path)."""
    p = Path(name)
    if p.suffix == suffix and p.is_file():
        return p
    for d in search_dirs(folder):
        cand = d / f"{name}{suffix}"
        if cand.is_file():
            return cand
    raise UnknownNameError(
        f"unknown {KINDS[folder]} {name!r}; available: {', '.join(available(folder, suffix))}"
    )
