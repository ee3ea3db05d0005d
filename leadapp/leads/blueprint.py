"""The leads blueprint; its views live in routes.py (form and lead page) and list_routes.py."""

from flask import Blueprint

bp = Blueprint("leads", __name__, url_prefix="/admin/leads")
