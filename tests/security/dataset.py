"""One seeded dataset with a row behind every URL parameter, for the route walks.

`seed()` runs the demo seed (users of every role, sources, campaigns, spend, companies, contacts,
opportunities, leads with history) and adds what the demo leaves out: a comment, an attachment, a
capture form with a submission, an import job with a failed row, a saved view, a notification, a
webhook endpoint with a delivery, an assignment rule and an API token per role. It also makes one
lead the sales user may not see (owned by someone outside the sales user's teams).
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from leadapp.auth.models import ApiToken, Role, Team, User
from leadapp.auth.services import issue_token
from leadapp.capture import services as capture_services
from leadapp.capture.models import CaptureForm, Submission
from leadapp.companies.models import Company, Contact, Opportunity
from leadapp.demo import seed_demo
from leadapp.extensions import db
from leadapp.imports import services as import_services
from leadapp.imports.models import ImportJob, ImportRowError
from leadapp.leads.attachments import save_upload
from leadapp.leads.models import Activity, Attachment, Comment, Lead, LeadContact, SavedView
from leadapp.models import AssignmentRule, Notification, WebhookDelivery, WebhookEndpoint
from leadapp.pipeline.models import LossReason, Pipeline, Stage
from leadapp.sources.models import Campaign, LeadSource, Spend

DEMO_PASSWORD = "demo-password"
ROLE_EMAILS = {role: f"{role.value}@demo.leadapp.example" for role in Role}
# What the hidden lead's comment and file say, so a page that leaks them can be caught.
HIDDEN_COMMENT = "Secret note on the hidden lead."
HIDDEN_FILE = "hidden-contract.pdf"


@dataclass
class Dataset:
    """Ids behind each URL parameter name, plus the fixtures the walks need."""

    ids: dict[str, Any] = field(default_factory=dict)
    tokens: dict[Role, str] = field(default_factory=dict)
    hidden_lead_id: int = 0            # a lead the sales user may not see
    hidden_attachment_id: int = 0
    hidden_comment_id: int = 0
    hidden_link_id: int = 0
    capture_api_key: str = ""          # the plain API key of the dataset's capture form


def _first(model: Any, *where: Any) -> int:
    row_id = db.session.scalar(select(model.id).where(*where).order_by(model.id).limit(1))
    assert row_id is not None, f"the dataset has no {model.__name__}"
    return row_id


def _user(role: Role) -> User:
    return db.session.scalar(select(User).where(func.lower(User.email) == ROLE_EMAILS[role]))


def seed() -> Dataset:
    """Call inside an app context on an empty database (reference data already in place)."""
    seed_demo(30, seed=7)
    data = Dataset()
    admin, sales = _user(Role.admin), _user(Role.sales)
    hidden = _hidden_lead(sales)
    data.hidden_lead_id = hidden.id
    data.hidden_comment_id = _comment(hidden, admin, HIDDEN_COMMENT)
    data.hidden_attachment_id = _attachment(hidden, admin, HIDDEN_FILE)
    data.hidden_link_id = _link(hidden)
    visible = _visible_lead(sales)
    _comment(visible, admin)
    _attachment(visible, admin)
    _link(visible)
    form, data.capture_api_key = _capture_form()
    _extras(admin, form)
    data.tokens = {role: issue_token(_user(role), f"walk {role.value}")[1] for role in Role}
    data.ids = _ids(visible, form)
    # Walking DELETE /admin/api/tokens/<id> revokes a token: make it one the walk does not use.
    data.ids["token_id"] = issue_token(admin, "spare")[0].id
    return data


def _hidden_lead(sales: User) -> Lead:
    sales_teams = {team.id for team in sales.teams}
    outsider = db.session.scalar(select(User).where(User.role == Role.manager))
    team = db.session.scalar(select(Team).where(Team.id.not_in(sales_teams or {0})))
    lead = db.session.scalar(select(Lead).where(Lead.deleted_at.is_(None)).order_by(Lead.id.desc()))
    lead.owner_id, lead.team_id = outsider.id, team.id if team else None
    lead.title = "Hidden from sales"
    db.session.commit()
    return lead


def _visible_lead(sales: User) -> Lead:
    lead = db.session.scalar(select(Lead).where(Lead.deleted_at.is_(None)).order_by(Lead.id))
    lead.owner_id, lead.team_id = sales.id, None
    db.session.commit()
    return lead


def _comment(lead: Lead, author: User, body: str = "Called, left a voicemail.") -> int:
    comment = Comment(lead_id=lead.id, author_id=author.id, body=body)
    db.session.add(comment)
    db.session.commit()
    return comment.id


def _attachment(lead: Lead, actor: User, name: str = "quote.pdf") -> int:
    upload = FileStorage(io.BytesIO(b"%PDF-1.4 quote"), filename=name,
                         content_type="application/pdf")
    return save_upload(lead, upload, actor).id


def _link(lead: Lead) -> int:
    link = db.session.scalar(select(LeadContact).where(LeadContact.lead_id == lead.id))
    if link is None:
        contact = db.session.scalar(select(Contact).order_by(Contact.id))
        link = LeadContact(lead_id=lead.id, contact_id=contact.id, is_primary=True)
        db.session.add(link)
        db.session.commit()
    return link.id


def _capture_form() -> tuple[CaptureForm, str]:
    defaults = capture_services.default_settings()
    settings = capture_services.FormSettings(
        name="Website contact", fields=defaults["fields"], consent_text="",
        source_id=defaults["source_id"] or _first(LeadSource), campaign_id=None, owner_id=None,
        team_id=None, thank_you_text="Thanks", redirect_url="",
        allowed_origins="https://shop.example.com", spam_threshold=50, min_fill_seconds=0)
    return capture_services.create_form(settings)


def _extras(admin: User, form: CaptureForm) -> None:
    db.session.add(Submission(form_id=form.id, payload={"email": "held@example.com"},
                              status="quarantined"))
    csv = io.BytesIO(b"title,email\nFirst,first@example.com\n")
    job = import_services.create_job(admin, csv, "leads.csv")
    db.session.add(ImportRowError(job_id=job.id, row_number=2, cells={"title": "=1+1"},
                                  message="Title is missing."))
    db.session.add(SavedView(user_id=admin.id, name="Mine", query="owner=me"))
    db.session.add(Notification(user_id=admin.id, kind="assigned", text="A lead for you"))
    endpoint = WebhookEndpoint(url="https://hooks.example.com/in", secret=secrets.token_hex(16),
                               events=["lead.created"])
    db.session.add(endpoint)
    db.session.flush()
    db.session.add(WebhookDelivery(uid=secrets.token_hex(8), endpoint_id=endpoint.id,
                                   event="lead.created", body="{}", status="failed"))
    db.session.add(AssignmentRule(name="Berlin", city="Berlin", user_id=admin.id))
    db.session.commit()


# URL parameter -> the model whose first row fills it.
PARAM_MODELS: dict[str, Any] = {
    "campaign_id": Campaign, "company_id": Company, "contact_id": Contact,
    "opportunity_id": Opportunity, "source_id": LeadSource, "spend_id": Spend,
    "pipeline_id": Pipeline, "stage_id": Stage, "reason_id": LossReason, "team_id": Team,
    "user_id": User, "form_id": CaptureForm, "submission_id": Submission,
    "view_id": SavedView, "notification_id": Notification, "endpoint_id": WebhookEndpoint,
    "delivery_id": WebhookDelivery, "rule_id": AssignmentRule, "token_id": ApiToken,
    "activity_id": Activity,
}


def _ids(lead: Lead, form: CaptureForm) -> dict[str, Any]:
    ids: dict[str, Any] = {name: _first(model) for name, model in PARAM_MODELS.items()}
    ids.update(
        lead_id=lead.id, job_id=_first(ImportJob), public_key=form.public_key,
        attachment_id=_first(Attachment, Attachment.lead_id == lead.id),
        comment_id=_first(Comment, Comment.lead_id == lead.id),
        link_id=_first(LeadContact, LeadContact.lead_id == lead.id),
        filename="css/app.css", keysearch="web", field="name", user_id=_spare_user())
    return ids


def _spare_user() -> int:
    """A user outside the four role accounts, so walking /admin/users/<id>/... locks nobody out."""
    return _first(User, User.email.not_in(list(ROLE_EMAILS.values())))
