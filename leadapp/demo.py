"""`flask demo seed`: deterministic demo data (filled in by the demo-data work)."""

from __future__ import annotations

from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demo data.")
