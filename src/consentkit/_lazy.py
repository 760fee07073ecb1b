"""Frozen dataclasses whose costlier fields are built on their first read.

Reading a token or a TC string is on every new visitor's request, and most readers look
at few of the fields: a consent's id text and its two datetimes, a TC model's id sets.
A reader made with ``object.__new__`` fills the cheap slots, leaves the others empty and
keeps what they are built from (:func:`defer`); the first read of an empty slot lands in
``__getattr__`` (Python calls it only when the slot is empty), which has the class's
``build_field`` build the value, and stores it. Equality, hashing, ``repr``, pickling and
``dataclasses.replace`` all read the fields, so they see the very values of an eagerly
built object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["LazySlots", "defer"]


class LazySlots:
    """A base for ``@dataclass(slots=True)`` classes with fields built on first read."""

    __slots__ = ("_pending",)

    @staticmethod
    def build_field(pending: Any, name: str) -> object:
        """The value of field ``name`` from what :func:`defer` kept; ``KeyError`` for a
        name that isn't deferred."""
        raise KeyError(name)

    if not TYPE_CHECKING:  # hidden from type checkers, so a misspelt field stays an error

        def __getattr__(self, name: str) -> object:
            try:
                value = self.build_field(object.__getattribute__(self, "_pending"), name)
            except (AttributeError, KeyError):
                raise AttributeError(
                    f"{type(self).__name__!r} object has no attribute {name!r}"
                ) from None
            # Two threads may both build it; they store equal values, so no lock.
            object.__setattr__(self, name, value)
            return value


def defer(obj: LazySlots, pending: object) -> None:
    """Have the empty slots of ``obj`` built on first read from ``pending``, by its
    class's ``build_field``. Only for an object made with ``object.__new__`` whose
    deferred slots are still empty."""
    object.__setattr__(obj, "_pending", pending)
