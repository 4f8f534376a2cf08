"""The non-editable install ships every subpackage: pyproject's explicit package list must name them all."""

import tomllib

from conftest import REPO


def test_every_subpackage_is_in_the_package_list() -> None:
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "archsearch").rglob("__init__.py")}
    assert found <= listed, f"missing from pyproject.toml packages: {sorted(found - listed)}"
