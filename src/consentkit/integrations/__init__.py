"""Framework integrations: the only modules of consentkit that import a web framework.

Each submodule imports its framework at its top, so ``import consentkit`` never needs
one, and importing ``consentkit.integrations.flask`` without Flask fails at once, with
the name of the missing package. What they share lives here, framework-free: building
a :class:`~consentkit.ConsentConfig` from a framework's own settings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from consentkit.config import ConsentConfig
from consentkit.exceptions import ConfigurationError

__all__ = ["SETTINGS", "config_from_settings"]

#: The settings a framework may give, by :class:`~consentkit.ConsentConfig` field name.
SETTINGS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ConsentConfig))


def config_from_settings(settings: Mapping[str, Any], where: str) -> ConsentConfig:
    """Build and validate a :class:`ConsentConfig` from a framework's settings mapping.

    Keys are :class:`ConsentConfig`'s field names (``catalogue``, ``secret_keys``...).
    An unknown key is an error rather than ignored: a misspelt ``secret_key`` or
    ``cookie_secur`` must stop the start-up, not silently run with the defaults.

    :param where: how the user wrote these settings (``"settings.CONSENTKIT"``), for
        the error message.
    :raises ConfigurationError: naming every problem, with ``where`` as its source
        (a catalogue file's own problems keep the file as theirs).
    """
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        expected = ", ".join(SETTINGS)
        raise ConfigurationError(
            [f"unknown setting {key!r}; expected some of: {expected}" for key in unknown],
            source=where,
        )
    if "catalogue" not in settings:
        raise ConfigurationError("'catalogue' is required (a Catalogue or a path)", source=where)
    try:
        return ConsentConfig(**settings)
    except ConfigurationError as exc:
        if exc.source is not None:
            raise
        raise ConfigurationError(exc.problems, source=where) from None
