"""The ledger as the rest of consentkit sees it: one interface, two backends, by URL."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from consentkit.catalogue import Catalogue
from consentkit.consent import Consent
from consentkit.exceptions import ConfigurationError, LedgerError, LedgerUnavailable
from consentkit.ledger._canonical import iso_second
from consentkit.ledger._checkpoint import Checkpoint, CheckpointSigner, CheckpointVerifier
from consentkit.ledger._group import GroupCommit
from consentkit.ledger._records import (
    PERSONAL_FIELDS,
    SOURCES,
    Entry,
    Notice,
    Receipt,
    StoredRecord,
    decision_fields,
    subject_of,
)
from consentkit.ledger._seal import open_sealed
from consentkit.ledger._spool import Spool
from consentkit.ledger._store import Store
from consentkit.ledger._verify import VerifyReport, verify_chain

__all__ = ["DEFAULT_RETENTION_DAYS", "Ledger", "ProofRecord"]

logger = logging.getLogger("consentkit.ledger")

#: How long records are kept by ``consentkit ledger prune`` without ``--before``: five
#: years, the time a French administrative sanction can still be brought. A site's own
#: legal advice decides; this is only the default.
DEFAULT_RETENTION_DAYS = 5 * 365
#: How far ``proof`` follows a visitor's "this replaced my earlier choice" links.
_MAX_HISTORY = 100


@dataclass(frozen=True, slots=True)
class ProofRecord:
    """One record of a proof: the record, what was shown, what was sealed."""

    record: StoredRecord
    notice: bytes | None
    #: The sealed personal fields, opened; ``None`` when none were kept or the key was erased.
    personal: dict[str, Any] | None
    erased: bool


class Ledger:
    """An append-only, hash-chained record of every consent decision.

    Open one with :meth:`open` and a URL: ``sqlite:///relative/path.db``,
    ``sqlite:////absolute/path.db`` or ``postgresql://user@host/db``.

    :param key: the secret that pseudonymises consent ids (HMAC-SHA256). Needed to
        record decisions and to find a visitor's records; not needed to verify,
        checkpoint, prune or count. Losing it makes every record unfindable by
        consent id, so keep it with the site's signing keys.
    :param personal: which personal fields to seal into records: any of
        ``"user_agent"``, ``"ip"`` (truncated to /24 or /48) and ``"account"``.
        None by default: data minimisation.
    :param spool: the file refusals and withdrawals go to while the ledger is down;
        by default beside an SQLite file, or under ``~/.local/state/consentkit``.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        store: Store,
        *,
        url: str,
        key: bytes | None = None,
        personal: Iterable[str] = (),
        spool: str | None = None,
    ) -> None:
        self.url = url
        self._store = store
        self._key = key
        self.personal = frozenset(personal)
        unknown = self.personal - set(PERSONAL_FIELDS)
        if unknown:
            raise ConfigurationError(
                f"unknown personal field {sorted(unknown)[0]!r}; choose among "
                + ", ".join(PERSONAL_FIELDS)
            )
        self.spool = Spool(spool or _default_spool(url))
        self._group = GroupCommit(self._write)
        self.origin = store.meta().get("origin", "consentkit.ledger")

    @classmethod
    def open(
        cls,
        url: str,
        *,
        key: str | bytes | None = None,
        personal: Iterable[str] = (),
        spool: str | None = None,
        origin: str | None = None,
        create: bool = True,
    ) -> Ledger:
        """Open (and, unless ``create`` is false, create) the ledger at ``url``.

        :param origin: the checkpoints' origin line, fixed when the ledger is
            created; a random ``consentkit.ledger/…`` name by default.
        :raises ConfigurationError: for a URL consentkit can't use.
        :raises LedgerError: when the database can't be opened, or is not a ledger.
        """
        store = open_store(url, create=create, origin=origin)
        raw_key = key.encode("utf-8") if isinstance(key, str) else key
        if raw_key is not None and len(raw_key) < 16:
            store.close()
            raise ConfigurationError("the ledger key is too short: give at least 16 bytes")
        return cls(store, url=url, key=raw_key, personal=personal, spool=spool)

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- recording ----------------------------------------------------------------

    @property
    def has_key(self) -> bool:
        return self._key is not None

    def subject(self, consent_id: str) -> str:
        """The pseudonym a consent id is recorded under."""
        if self._key is None:
            raise LedgerError("this ledger was opened without its key: consent ids can't be used")
        return subject_of(self._key, consent_id)

    def entry(
        self,
        catalogue: Catalogue,
        consent: Consent | None,
        *,
        withdrawn: str | None = None,
        replaces: str | None = None,
        language: str,
        source: str,
        notice: Notice,
        tc_string: str | None = None,
        personal: Mapping[str, str | None] | None = None,
        now: datetime | None = None,
    ) -> Entry:
        """A decision ready to append: ``consent`` for a choice, or ``None`` and the
        ``withdrawn`` consent id for a withdrawal.

        :param replaces: the consent id of the decision this one replaces, so a
            visitor's proof shows their whole history.
        """
        if source not in SOURCES:
            raise ValueError(f"source {source!r} is not one of {', '.join(SOURCES)}")
        now = now or datetime.now(UTC)
        consent_id = consent.id if consent is not None else withdrawn
        subject = self.subject(consent_id) if consent_id else None
        fields = decision_fields(
            catalogue,
            consent,
            action=consent.action.value if consent is not None else "withdraw",
            subject=subject,
            previous=self.subject(replaces) if replaces else None,
            language=language,
            source=source,
            notice=notice,
            tc_string=tc_string,
            now=now,
        )
        kept = None
        if self.personal and personal and subject is not None:
            kept = {k: v for k, v in personal.items() if k in self.personal and v}
        return Entry(fields, notice, kept or None)

    def append(self, entry: Entry) -> Receipt:
        """Write an entry; returns once it is durable.

        Spooled entries go first, so the chain keeps the order decisions were made in.

        :raises LedgerUnavailable: when it can't be written; nothing was.
        """
        if self.spool.pending():
            try:
                replayed = self.spool.replay(self._write)
            except LedgerError as exc:
                raise LedgerUnavailable(f"the spool can't be replayed yet: {exc}") from exc
            if replayed:
                logger.info("ledger: %d spooled records replayed", replayed)
        return self._group.append(entry)

    def _write(self, entries: Sequence[Entry]) -> list[Receipt]:
        return self._store.write(entries, datetime.now(UTC))

    def append_many(self, entries: Sequence[Entry], *, at: datetime | None = None) -> list[Receipt]:
        """Write several entries in one transaction (imports, tests, benchmarks).

        :param at: the time of writing to record instead of now, for importing records
            kept elsewhere and for synthetic demo history only. A live site never gives
            it: a record's time is the server's when it wrote it, and a proof shows it.
            A naive datetime is refused.

        .. versionchanged:: 0.1
           ``at``.
        """
        if at is None:
            return self._write(entries)
        if at.tzinfo is None:
            raise ValueError("a naive datetime is ambiguous: give one with a time zone (UTC)")
        return self._store.write(entries, at)

    def spool_entry(self, entry: Entry) -> Receipt:
        """Keep an entry on this server's disk until the ledger takes writes again.

        :raises LedgerError: when even the spool can't be written.
        """
        self.spool.add(entry.spooled(datetime.now(UTC)))
        return Receipt(None, None, None)

    # -- reading ------------------------------------------------------------------

    def records_of(self, consent_id: str) -> list[StoredRecord]:
        """Every record of a consent id and of the decisions it replaced, in order."""
        subjects = [self.subject(consent_id)]
        seen = set(subjects)
        records: dict[int, StoredRecord] = {}
        for _ in range(_MAX_HISTORY):
            found = self._store.records_of(subjects)
            for record in found:
                records[record.seq] = record
            subjects = [
                r.fields["previous"]
                for r in found
                if r.fields.get("previous") and r.fields["previous"] not in seen
            ]
            if not subjects:
                break
            seen.update(subjects)
        return [records[seq] for seq in sorted(records)]

    def proof(self, consent_id: str) -> list[ProofRecord]:
        """A visitor's records, with the notices they saw and their sealed fields opened."""
        proof = []
        notices: dict[str, bytes | None] = {}
        for record in self.records_of(consent_id):
            digest = record.fields.get("notice", "")
            if digest not in notices:
                notices[digest] = self._store.notice(digest)
            personal = None
            erased = False
            sealed = record.fields.get("sealed")
            subject = record.fields.get("subject")
            if sealed and subject:
                personal = open_sealed(self._store.subject_key(subject), subject, sealed)
                erased = personal is None
            proof.append(ProofRecord(record, notices[digest], personal, erased))
        return proof

    def record(self, seq: int) -> StoredRecord | None:
        return self._store.record(seq)

    def notice(self, digest: str) -> bytes | None:
        return self._store.notice(digest)

    def size(self) -> int:
        return self._store.head().size

    def select(self, queries: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
        """The rows of read-only SQL queries on the ledger's tables, all in one snapshot.

        For aggregates computed in the database (``consentkit.report``): placeholders
        are ``?`` on both backends. The SQL is the caller's, so never build it from
        untrusted input; pass values as parameters.

        .. versionadded:: 0.1
        """
        return self._store.select(queries)

    def stats(self) -> list[tuple[str, str, int]]:
        """``(day, action, count)`` rows."""
        return self._store.stats()

    # -- proof of integrity -------------------------------------------------------

    def verify(
        self,
        verifiers: Sequence[CheckpointVerifier] = (),
        checkpoints: Sequence[str] = (),
    ) -> VerifyReport:
        """Recompute the whole chain; check stored and given checkpoints.

        :param verifiers: keys whose signature a checkpoint must carry; without any,
            signatures are not checked, only what the checkpoints state.
        :param checkpoints: notes kept elsewhere (published), checked like stored ones.
        """
        notices = self._store.notices()
        notes = [*self._store.checkpoints(), *checkpoints]
        with self._store.scan() as (head, rows):
            return verify_chain(head, rows, notices, notes, verifiers, self.origin)

    def export(self) -> Iterator[dict[str, Any]]:
        """Everything ``verify`` reads, as JSON objects, for a verifier outside the site.

        First the head, then each record (its canonical bytes as text: their UTF-8 is
        what was hashed), then each notice and checkpoint.
        """
        notices = self._store.notices()
        notes = self._store.checkpoints()
        with self._store.scan() as (head, rows):
            yield {
                "origin": self.origin,
                "size": head.size,
                "chain_hash": head.hash.hex(),
                "first_seq": head.base_seq,
                "hash_before_first": head.base_hash.hex(),
            }
            for seq, body, chain in rows:
                text = body.decode("utf-8") if isinstance(body, bytes) else str(body)
                yield {"seq": seq, "record": text, "chain_hash": bytes(chain).hex()}
        for digest, notice in sorted(notices.items()):
            yield {"notice": digest, "body": notice.decode("utf-8")}
        for note in notes:
            yield {"checkpoint": note}

    def checkpoint(self, signer: CheckpointSigner) -> Checkpoint:
        """Sign and store a checkpoint of the chain as it is now."""
        head = self._store.head()
        checkpoint = signer.sign(self.origin, head.size, head.hash)
        self._store.add_checkpoint(checkpoint.note, datetime.now(UTC), head.size)
        return checkpoint

    def checkpoints(self) -> list[Checkpoint]:
        return [Checkpoint.parse(note) for note in self._store.checkpoints()]

    # -- retention ----------------------------------------------------------------

    def erase(self, consent_id: str) -> int:
        """Destroy the sealing keys of a visitor's subjects; returns how many.

        Their choices stay as proof and the chain still verifies: only the sealed
        personal fields become unreadable.
        """
        subjects = sorted({r.fields["subject"] for r in self.records_of(consent_id)})
        if not subjects:
            raise LedgerError(f"no record of consent id {consent_id!r}")
        return self._store.erase(subjects)

    def prune(self, before: datetime) -> int:
        """Remove records written before ``before``; returns how many."""
        return self._store.prune(iso_second(before))


def open_store(url: str, *, create: bool = True, origin: str | None = None) -> Store:
    """The backend a URL names.

    :raises ConfigurationError: for a URL of another kind, or without a path/host.
    """
    if not isinstance(url, str) or "://" not in url:
        raise ConfigurationError(
            f"ledger URL {url!r} must look like sqlite:///path.db or postgresql://host/db"
        )
    scheme = url.split("://", 1)[0].lower()
    if scheme == "sqlite":
        from consentkit.ledger._sqlite import SQLiteStore

        return SQLiteStore(sqlite_path(url), create=create, origin=origin)
    if scheme in ("postgresql", "postgres"):
        from consentkit.ledger._postgres import PostgresStore

        return PostgresStore(url, origin=origin)
    raise ConfigurationError(
        f"ledger URL scheme {scheme!r} is not supported: use sqlite:/// or postgresql://"
    )


def sqlite_path(url: str) -> str:
    """``sqlite:///x.db`` is ``x.db`` (relative); ``sqlite:////var/x.db`` is absolute."""
    parts = urlsplit(url)
    if parts.netloc or not parts.path.startswith("/") or parts.query:
        raise ConfigurationError(
            f"SQLite ledger URL {url!r} must be sqlite:///relative.db or sqlite:////absolute.db"
        )
    path = unquote(parts.path[1:])
    if not path or path == ":memory:":
        raise ConfigurationError(
            "an SQLite ledger needs a file: an in-memory database would lose every proof"
        )
    return path


def _default_spool(url: str) -> str:
    if url.lower().startswith("sqlite:"):
        return sqlite_path(url) + "-spool.jsonl"
    import hashlib

    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    name = hashlib.sha256(url.encode()).hexdigest()[:16]
    return str(Path(state) / "consentkit" / f"ledger-spool-{name}.jsonl")
