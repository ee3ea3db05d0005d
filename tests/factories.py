"""factory-boy factories for the main entities (committed, so routes see them)."""

from __future__ import annotations

from decimal import Decimal

import factory
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from leadapp.extensions import db
from leadapp.models import (
    Campaign,
    Comment,
    Company,
    Contact,
    Lead,
    LeadSource,
    LossReason,
    Pipeline,
    Role,
    Tag,
    Team,
    User,
)

# Hashing once keeps the suite fast: scrypt is slow by design.
_PASSWORD_HASH = generate_password_hash("correct-horse-battery", method="scrypt")


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    role = Role.sales
    password_hash = _PASSWORD_HASH
    active = True
    preferences = factory.LazyFunction(dict)


class TeamFactory(BaseFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class LeadSourceFactory(BaseFactory):
    class Meta:
        model = LeadSource

    name = factory.Sequence(lambda n: f"Source {n}")
    description = ""
    active = True


class CampaignFactory(BaseFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    source = factory.SubFactory(LeadSourceFactory)


class CompanyFactory(BaseFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n} Ltd")
    website = factory.Sequence(lambda n: f"https://company{n}.example.com")
    city = "Berlin"


class ContactFactory(BaseFactory):
    class Meta:
        model = Contact

    first_name = factory.Sequence(lambda n: f"Ann{n}")
    last_name = "Smith"
    email = factory.Sequence(lambda n: f"contact{n}@example.org")
    company = factory.SubFactory(CompanyFactory)


class TagFactory(BaseFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag{n}")


def default_pipeline() -> Pipeline:
    return db.session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))


class LeadFactory(BaseFactory):
    class Meta:
        model = Lead

    title = factory.Sequence(lambda n: f"Lead {n}")
    source = factory.SubFactory(LeadSourceFactory)
    pipeline = factory.LazyFunction(default_pipeline)
    stage = factory.LazyAttribute(lambda lead: lead.pipeline.stages[0])
    first_name = "Jane"
    last_name = factory.Sequence(lambda n: f"Doe{n}")
    email = factory.Sequence(lambda n: f"lead{n}@example.net")
    company_name = factory.Sequence(lambda n: f"Prospect {n} GmbH")
    budget = Decimal("1000.00")


class CommentFactory(BaseFactory):
    class Meta:
        model = Comment

    lead = factory.SubFactory(LeadFactory)
    body = "Called, left a voicemail."


def loss_reason(name: str = "No budget") -> LossReason:
    return db.session.scalar(select(LossReason).where(LossReason.name == name))


# --- reports / spend (issue 9) ---
from datetime import date as _date  # noqa: E402

from leadapp.models import Opportunity, Spend  # noqa: E402


class SpendFactory(BaseFactory):
    class Meta:
        model = Spend

    source = factory.SubFactory(LeadSourceFactory)
    spent_on = factory.LazyFunction(_date.today)
    amount = Decimal("100.00")
    note = ""


class OpportunityFactory(BaseFactory):
    class Meta:
        model = Opportunity

    name = factory.Sequence(lambda n: f"Opportunity {n}")
    amount = Decimal("5000.00")
