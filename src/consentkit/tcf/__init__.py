"""IAB TCF v2.2 / v2.3: TC strings (``euconsent-v2``), the Global Vendor List, and consent.

:func:`decode` reads any well-formed TCF v2 string, whatever its age or writer, into
an immutable :class:`TCModel`; :func:`encode` writes one back, refusing models that no
valid string could carry. Whether a well-formed string also follows the current TCF
*policy* (policy version 4+, no legitimate interest for purposes 1 and 3-6, ...) is a
separate question, answered by :func:`validate`, because real strings break those rules
all the time and a reader must still understand them.

Compare decoded models, never strings: encoders differ in padding and in choosing
between bitfield and range encodings, and all of them are valid.

:class:`TCFConfig` turns TCF on in a :class:`~consentkit.ConsentConfig`: every choice
then also becomes a TC string (:func:`tc_string`). :mod:`consentkit.tcf.gvl` reads the
IAB's Global Vendor List. None of this is imported until a site asks for it: the
middleware without TCF never loads this package.

.. versionadded:: 0.1
"""

from __future__ import annotations

from consentkit.tcf._codec import DEFAULT_MAX_IDS as DEFAULT_MAX_IDS
from consentkit.tcf._codec import decode as decode
from consentkit.tcf._codec import encode as encode
from consentkit.tcf._codec import encode_problems as encode_problems
from consentkit.tcf._consent import DEFAULT_TCF_COOKIE as DEFAULT_TCF_COOKIE
from consentkit.tcf._consent import TCFConfig as TCFConfig
from consentkit.tcf._consent import tc_model as tc_model
from consentkit.tcf._consent import tc_string as tc_string
from consentkit.tcf._model import PublisherRestriction as PublisherRestriction
from consentkit.tcf._model import PublisherTC as PublisherTC
from consentkit.tcf._model import RestrictionType as RestrictionType
from consentkit.tcf._model import TCModel as TCModel
from consentkit.tcf._policy import validate as validate
from consentkit.tcf.gvl import GlobalVendorList as GlobalVendorList

__all__ = [
    "DEFAULT_MAX_IDS",
    "DEFAULT_TCF_COOKIE",
    "GlobalVendorList",
    "PublisherRestriction",
    "PublisherTC",
    "RestrictionType",
    "TCFConfig",
    "TCModel",
    "decode",
    "encode",
    "encode_problems",
    "tc_model",
    "tc_string",
    "validate",
]
