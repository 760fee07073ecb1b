from __future__ import annotations
import __future__

import types

import consentkit

#: Exported names the package provides on first access (``__getattr__``), so that
#: ``import consentkit`` doesn't load what a site may not use.
LAZY = ["Ledger"]


def test_all_names_are_exported() -> None:
    """__all__ lists every public name of the package, once (ruff's RUF022 keeps it sorted)."""
    public = [
        name
        for name, value in vars(consentkit).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType | __future__._Feature)
        and name not in LAZY  # once accessed, a lazy name may be in vars too
    ]
    assert sorted(public + LAZY) == sorted(consentkit.__all__)
    assert len(set(consentkit.__all__)) == len(consentkit.__all__)


def test_every_error_is_a_consentkit_error() -> None:
    """One root catches everything consentkit raises on purpose."""
    for name in consentkit.__all__:
        value = getattr(consentkit, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, consentkit.ConsentKitError), name


def test_every_name_resolves_and_is_documented() -> None:
    """Each name in __all__ is there and has a docstring of its own, as httpx checks its exports."""
    undocumented = [name for name in consentkit.__all__ if not getattr(consentkit, name).__doc__]
    assert undocumented == []
