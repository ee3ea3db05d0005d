"""Domain events: what happened to leads and sources, announced once by the service that did it.

Features that react to changes (webhooks, notifications, assignment rules) subscribe here instead of
being called from every entry point. Receivers run synchronously inside the caller's transaction, so
anything they add to ``db.session`` commits or rolls back with the change itself (the outbox rule);
they must never do network I/O or commit.

Every signal is sent with the changed object as sender (or ``None`` for bulk events) and these
keyword arguments:

- ``lead_created``: ``actor`` (User or None), ``via`` ("form", "api", "capture", "import", ...).
- ``lead_updated``: ``actor``, ``changes`` ({field: (old, new)}; values as the model holds them:
  ids, str, Decimal, date; receivers that need JSON convert them).
- ``lead_stage_changed``: ``actor``, ``old_stage``, ``new_stage`` (Stage objects).
- ``lead_converted``: ``actor``, ``result`` (leads.conversion.Result).
- ``lead_deleted`` / ``lead_restored``: ``actor``.
- ``lead_assigned``: ``actor``, ``old_owner_id``, ``new_owner_id``, ``via`` (as lead_created,
  or "rule"), ``rule_name`` (the assignment rule that chose the owner, or "").
- ``leads_changed_in_bulk``: sender None; ``lead_ids`` (list[int]), ``event`` (one of the lead event
  names above, e.g. "lead.updated"), ``actor``, ``changes`` (same shape as lead_updated, may be {}),
  ``via``, and optionally ``changes_by_lead`` ({lead_id: changes}) when the old values differ per
  lead (a bulk move's old stage, an import's per-row updates); it wins over ``changes`` for those
  leads. Bulk paths (list actions, imports) send one of these instead of one signal per lead.
  With ``event="lead.assigned"`` it also carries ``owner_counts`` ({owner_id: leads}),
  ``group_key`` and ``label`` (what the owners' summary notification names, e.g. "import #12").
- ``source_created`` / ``source_updated`` / ``source_deleted``: ``actor``; updated adds ``changes``.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

lead_created = _signals.signal("lead.created")
lead_updated = _signals.signal("lead.updated")
lead_stage_changed = _signals.signal("lead.stage_changed")
lead_converted = _signals.signal("lead.converted")
lead_deleted = _signals.signal("lead.deleted")
lead_restored = _signals.signal("lead.restored")
lead_assigned = _signals.signal("lead.assigned")
leads_changed_in_bulk = _signals.signal("leads.bulk")

source_created = _signals.signal("lead_source.created")
source_updated = _signals.signal("lead_source.updated")
source_deleted = _signals.signal("lead_source.deleted")
