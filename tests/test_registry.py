"""The one registry helper every plug-in family uses."""

import pytest

from archsearch.registry import Registry


class Missing(LookupError):
    pass


def test_unknown_name_is_the_familys_error_listing_names() -> None:
    reg: Registry[int] = Registry("widget", Missing)
    reg.add("b", 2)
    reg.add("a", 1)
    assert reg.get("a") == 1 and reg.names() == ["a", "b"] and "b" in reg
    with pytest.raises(Missing, match=r"unknown widget 'c'; available: a, b"):
        reg.get("c")


def test_duplicate_name_warns_and_the_later_wins() -> None:
    reg: Registry[int] = Registry("widget", Missing)
    reg.add("a", 1)
    with pytest.warns(UserWarning, match="registered twice"):
        reg.add("a", 2)
    assert reg.get("a") == 2


def test_builtins_load_on_first_lookup() -> None:
    from archsearch.proxies.base import REGISTRY

    assert "synflow" in REGISTRY.names()
