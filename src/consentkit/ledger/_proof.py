"""A visitor's proof, for a person (``consentkit ledger proof``) and for machines (JSON).

A proof shows, for each record: when and where the choice was made, what was
granted and refused, the notice shown (its texts and vendor list, found by digest),
the sealed personal fields when their key still exists, and the chain evidence
(sequence number, leaf and chain hash) that ``verify`` and a published checkpoint
tie to the rest of the ledger.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from consentkit.ledger._canonical import leaf_hash
from consentkit.ledger._checkpoint import Checkpoint
from consentkit.ledger._ledger import ProofRecord

__all__ = ["proof_json", "proof_text"]

_ACTIONS = {
    "accept_all": "accepted everything",
    "refuse_all": "refused everything optional",
    "custom": "made a custom choice",
    "withdraw": "withdrew their consent",
}
_SOURCES = {
    "banner_first_layer": "the banner's first layer",
    "banner_customise": "the banner's customise layer",
    "form": "a form on the site",
    "api": "the JSON API",
}


def proof_json(
    proof: Sequence[ProofRecord], checkpoints: Sequence[Checkpoint] = ()
) -> dict[str, Any]:
    notices: dict[str, Any] = {}
    records = []
    for item in proof:
        record = item.record
        digest = record.fields.get("notice", "")
        if item.notice is not None:
            notices[digest] = json.loads(item.notice)
        covering = [c for c in checkpoints if c.size >= record.seq]
        records.append(
            {
                "record": record.fields,
                "leaf_hash": leaf_hash(record.body).hex(),
                "chain_hash": record.chain_hash.hex(),
                "personal": item.personal,
                "personal_erased": item.erased,
                "checkpoint": covering[0].note if covering else None,
            }
        )
    return {"records": records, "notices": notices}


def proof_text(proof: Sequence[ProofRecord], checkpoints: Sequence[Checkpoint] = ()) -> str:
    if not proof:
        return "no record"
    lines = []
    for item in proof:
        f = item.record.fields
        lines.append(f"Record {f['seq']}, written {f['at']}")
        lines.append(
            f"  On {f['decided_at']}, the visitor {_ACTIONS.get(f['action'], f['action'])}, "
            f"through {_SOURCES.get(f['source'], f['source'])}, shown in {f['language']!r}, "
            f"catalogue revision {f['revision']}."
        )
        if f.get("expires_at"):
            lines.append(f"  The decision lasts until {f['expires_at']}.")
        lines.append("  Purposes granted: " + (", ".join(f["purposes_granted"]) or "none"))
        lines.append("  Purposes refused: " + (", ".join(f["purposes_refused"]) or "none"))
        lines.append("  Vendors granted:  " + (", ".join(f["vendors_granted"]) or "none"))
        lines.append("  Vendors refused:  " + (", ".join(f["vendors_refused"]) or "none"))
        if f.get("tc_string"):
            lines.append(f"  TC string: {f['tc_string']}")
        if f.get("spool"):
            lines.append(f"  Spooled on {f['spool']['at']} while the ledger was down.")
        lines += _notice_lines(f["notice"], item.notice)
        if item.erased:
            lines.append("  Personal fields: erased (their key was destroyed).")
        elif item.personal:
            kept = ", ".join(f"{k}={v}" for k, v in sorted(item.personal.items()))
            lines.append(f"  Personal fields: {kept}")
        lines.append(f"  Leaf hash:  {leaf_hash(item.record.body).hex()}")
        lines.append(f"  Chain hash: {item.record.chain_hash.hex()}")
        covering = [c for c in checkpoints if c.size >= item.record.seq]
        if covering:
            lines.append(f"  Covered by the checkpoint of size {covering[0].size}:")
            lines += ["    " + line for line in covering[0].note.rstrip("\n").split("\n")]
        else:
            lines.append("  No checkpoint covers this record yet.")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _notice_lines(digest: str, body: bytes | None) -> list[str]:
    if body is None:
        return [f"  Notice shown: {digest} (MISSING from the ledger)"]
    notice = json.loads(body)
    catalogue = notice.get("catalogue", {})
    texts = catalogue.get("texts", {})
    lines = [f"  Notice shown: {digest}"]
    if texts.get("notice"):
        lines.append(f"    Text: {texts['notice']}")
    for purpose in catalogue.get("purposes", []):
        lines.append(f"    Purpose {purpose['id']}: {purpose['name']}")
    for vendor in catalogue.get("vendors", []):
        lines.append(f"    Vendor {vendor['id']}: {vendor['name']}")
    return lines
