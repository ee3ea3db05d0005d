"""Ordered admin lists (assignment rules, custom fields): saving the order a drag produced."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from .errors import RuleViolation
from .extensions import db

Item = TypeVar("Item", bound=Any)


def save_order(current: Sequence[Item], ordered_ids: list[int], plural: str) -> list[Item]:
    """Number `current` (objects with id and position) in the order of `ordered_ids`; refuses
    a list that is not exactly the current items (someone changed them meanwhile)."""
    by_id = {item.id: item for item in current}
    if sorted(ordered_ids) != sorted(by_id):
        raise RuleViolation(f"The {plural} changed while you were sorting them; reload the page "
                            "and try again.")
    ordered = [by_id[item_id] for item_id in ordered_ids]
    renumber(ordered)
    db.session.commit()
    return ordered


def renumber(items: Sequence[Any]) -> None:
    """Positions 1..n in the given order."""
    for position, item in enumerate(items, start=1):
        item.position = position
