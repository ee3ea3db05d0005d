"""Every feature's models, imported in one place for Alembic, the shell and the factory."""

from .api.models import IdempotencyKey  # noqa: F401
from .assignment.models import AssignmentRule
from .auth.models import ApiToken, Role, Team, User, team_members
from .capture.models import CaptureForm, FormView, Submission, SubmissionStatus
from .companies.models import Company, Contact, Opportunity
from .custom_fields.models import CustomField, DeletedFieldExport, FieldKind, LeadFieldValue
from .dashboard import models as _dashboard_indexes  # noqa: F401  (indexes on leads)
from .imports.models import (
    DuplicateMode,
    ImportHeaderMapping,
    ImportJob,
    ImportRowError,
    ImportStatus,
    ImportUpdate,
)
from .leads import search_index as _search_index  # noqa: F401  (SQLite's search table)
from .leads.models import (
    Activity,
    ActivityKind,
    Attachment,
    Comment,
    Lead,
    LeadContact,
    SavedView,
    Tag,
    lead_tags,
)
from .notifications.models import Notification, NotificationKind
from .pipeline.models import LossReason, Pipeline, Stage, StageHistory, StageKind
from .settings.models import AppSetting
from .sources.models import Campaign, LeadSource, Spend
from .webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ImportHeaderMapping",
    "Activity", "ActivityKind", "ApiToken", "Attachment", "Campaign", "CaptureForm", "Comment",
    "Company", "Contact", "DuplicateMode", "ImportJob", "ImportRowError", "ImportStatus",
    "ImportUpdate", "Lead", "LeadContact", "LeadSource", "LossReason", "Opportunity", "Pipeline",
    "Role", "SavedView", "Spend", "Stage", "StageHistory", "StageKind", "Submission",
    "SubmissionStatus", "Tag", "Team", "User", "lead_tags", "team_members", "FormView",
    "AssignmentRule", "Notification", "NotificationKind",
    "CustomField", "DeletedFieldExport", "FieldKind", "LeadFieldValue",
    "DeliveryStatus", "WebhookDelivery", "WebhookEndpoint", "AppSetting",
]
