"""The proof-of-consent ledger: every decision, hash-chained, before its cookie is set.

GDPR art. 7(1) puts the burden of proving consent on the site. The ledger keeps
each decision with a digest of exactly what the visitor was shown, in an
append-only chain whose signed checkpoints let anyone check that nothing was
changed, removed or cut since. See ``docs/ledger.md``.

Modules: ``_canonical`` (bytes and hashes), ``_records`` (what a record holds),
``_seal`` (erasable personal fields), ``_checkpoint`` (signed notes), ``_verify``,
``_store`` (the SQL), ``_sqlite`` and ``_postgres`` (connections), ``_group``
(group commit), ``_spool`` (refusals during an outage), ``_ledger`` (the interface),
``_proof`` (proofs people and machines read), ``_cli`` (``consentkit ledger``).
"""

from __future__ import annotations

from consentkit.ledger._checkpoint import Checkpoint as Checkpoint
from consentkit.ledger._checkpoint import CheckpointSigner as CheckpointSigner
from consentkit.ledger._checkpoint import CheckpointVerifier as CheckpointVerifier
from consentkit.ledger._ledger import DEFAULT_RETENTION_DAYS as DEFAULT_RETENTION_DAYS
from consentkit.ledger._ledger import Ledger as Ledger
from consentkit.ledger._ledger import ProofRecord as ProofRecord
from consentkit.ledger._records import SOURCES as SOURCES
from consentkit.ledger._records import Entry as Entry
from consentkit.ledger._records import Notice as Notice
from consentkit.ledger._records import Receipt as Receipt
from consentkit.ledger._records import StoredRecord as StoredRecord
from consentkit.ledger._verify import Problem as Problem
from consentkit.ledger._verify import VerifyReport as VerifyReport

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "SOURCES",
    "Checkpoint",
    "CheckpointSigner",
    "CheckpointVerifier",
    "Entry",
    "Ledger",
    "Notice",
    "Problem",
    "ProofRecord",
    "Receipt",
    "StoredRecord",
    "VerifyReport",
]
