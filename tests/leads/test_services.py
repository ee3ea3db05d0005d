"""Lead service rules: required fields by checkbox, TIN, one transaction, versions, comments."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from leadapp.errors import Conflict, NotAllowed, RuleViolation
from leadapp.extensions import db
from leadapp.leads import services
from leadapp.leads.forms import LeadForm
from leadapp.models import Activity, ActivityKind, Company, Contact, Lead, LeadContact
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LeadFactory,
    LeadSourceFactory,
    UserFactory,
)


def _form(**values: str) -> LeadForm:
    form = LeadForm(formdata=MultiDict(values), meta={"csrf": False})
    form.set_choices(services.form_choices(UserFactory(role="admin")))
    return form


def _errors(form: LeadForm) -> dict[str, list[str]]:
    form.validate()
    return {name: errors for name, errors in form.errors.items() if errors}


def _base(**extra: str) -> dict[str, str]:
    return {"title": "Website redesign", "source_id": str(LeadSourceFactory().id),
            "currency": "USD", **extra}


def test_validate_new_company_checked_requires_name_and_website(app_ctx):
    errors = _errors(_form(**_base(new_company="y", new_contact="y", first_name="A",
                                   last_name="B")))
    assert set(errors) == {"new_company_name", "company_website"}


def test_validate_new_company_unchecked_requires_existing_company(app_ctx):
    errors = _errors(_form(**_base(new_contact="y", first_name="A", last_name="B",
                                   new_company_name="typed but hidden")))
    assert set(errors) == {"company_search"}


def test_validate_new_contact_checked_requires_first_and_last_name(app_ctx):
    company = CompanyFactory()
    errors = _errors(_form(**_base(company_id=str(company.id), company_search=company.name,
                                   new_contact="y")))
    assert set(errors) == {"first_name", "last_name"}


def test_validate_hidden_group_with_bad_values_is_ignored(app_ctx):
    company, contact = CompanyFactory(), ContactFactory()
    form = _form(**_base(company_id=str(company.id), company_search=company.name,
                         contact_id=str(contact.id), contact_search=contact.full_name,
                         company_tin="12", email="not-an-email", phone="x"))
    assert form.validate(), form.errors
    assert form.email.data == "not-an-email"  # kept as typed for when the box is ticked again


@pytest.mark.parametrize("tin", ["123456789", "1234567890", "123456789012", "12-345 67890"])
def test_validate_tin_with_9_10_or_12_digits_passes(app_ctx, tin):
    form = _form(**_base(new_company="y", new_company_name="Acme", company_website="acme.io",
                         company_tin=tin, new_contact="y", first_name="A", last_name="B"))
    assert form.validate(), form.errors
    assert form.company_tin.data.isdigit()


@pytest.mark.parametrize("tin", ["12345678", "12345678901", "1234567890123", "12345678a"])
def test_validate_tin_with_other_lengths_fails(app_ctx, tin):
    errors = _errors(_form(**_base(new_company="y", new_company_name="Acme",
                                   company_website="https://acme.io", company_tin=tin,
                                   new_contact="y", first_name="A", last_name="B")))
    assert errors == {"company_tin": ["A TIN has 9, 10 or 12 digits."]}


def test_validate_phone_is_normalised_to_e164(app_ctx):
    company = CompanyFactory()
    form = _form(**_base(company_id=str(company.id), company_search=company.name,
                         new_contact="y", first_name="A", last_name="B",
                         phone="(202) 555-0143", email="a@example.com"))
    assert form.validate(), form.errors
    assert form.phone.data == "+12025550143"


def test_validate_bad_email_phone_and_url_fail(app_ctx):
    errors = _errors(_form(**_base(new_company="y", new_company_name="Acme",
                                   company_website="not a url", new_contact="y",
                                   first_name="A", last_name="B", phone="12",
                                   email="nope@")))
    assert set(errors) == {"company_website", "phone", "email"}


def _save_data(**extra):
    data = {"title": "Deal", "source_id": LeadSourceFactory().id, "currency": "USD",
            "tags": "Hot, vip, hot"}
    data.update(extra)
    return data


def test_save_lead_new_company_and_contact_creates_all_linked(app_ctx):
    actor = UserFactory(role="sales")
    lead = services.save_lead(None, _save_data(
        new_company=True, new_company_name="Globex", company_website="https://globex.io",
        company_tin="123456789", new_contact=True, first_name="Hank", last_name="Scorpio",
        email="hank@globex.io", phone="+12025550143"), actor)
    assert lead.company.name == "Globex" and lead.company.created_from_lead_id == lead.id
    assert lead.primary_contact.full_name == "Hank Scorpio"
    assert lead.primary_contact.company_id == lead.company_id
    assert lead.owner_id == actor.id  # sales users own what they create
    assert lead.stage.name == "New" and lead.version == 1
    assert [tag.name for tag in lead.tags] == ["Hot", "vip"]
    kinds = db.session.scalars(select(Activity.kind).where(Activity.lead_id == lead.id)).all()
    assert kinds == [ActivityKind.created]


def test_save_lead_failure_leaves_no_company_or_contact(app_ctx):
    actor = UserFactory(role="admin")
    with pytest.raises(RuleViolation):
        services.save_lead(None, _save_data(
            new_company=True, new_company_name="Half Made", company_website="https://h.io",
            new_contact=False, contact_search="nobody at all"), actor)
    assert db.session.scalar(select(func.count()).select_from(Company)) == 0
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0


def test_save_lead_existing_company_by_exact_name_without_js_resolves(app_ctx):
    company = CompanyFactory(name="Initech")
    contact = ContactFactory(company=company, first_name="Peter", last_name="Gibbons")
    lead = services.save_lead(None, _save_data(company_search="initech",
                                               contact_search="Peter Gibbons"),
                              UserFactory(role="admin"))
    assert lead.company_id == company.id and lead.primary_contact.id == contact.id


def test_save_lead_stale_version_raises_conflict(app_ctx):
    lead = LeadFactory()
    company, contact = CompanyFactory(), ContactFactory()
    data = _save_data(company_id=company.id, contact_id=contact.id, version=lead.version + 5)
    with pytest.raises(Conflict):
        services.save_lead(lead, data, UserFactory(role="admin"))


def test_update_field_records_old_and_new_and_bumps_version(app_ctx):
    lead, actor = LeadFactory(title="Old title"), UserFactory(role="admin")
    services.update_field(lead, "title", "New title", lead.version, actor)
    assert lead.title == "New title" and lead.version == 2
    row = db.session.scalar(select(Activity).where(Activity.lead_id == lead.id))
    assert (row.kind, row.field, row.old_value, row.new_value) == (
        ActivityKind.field_changed, "title", "Old title", "New title")


def test_update_field_stale_version_raises_conflict_and_keeps_value(app_ctx):
    lead, actor = LeadFactory(title="Theirs"), UserFactory(role="admin")
    with pytest.raises(Conflict):
        services.update_field(lead, "title", "Mine", lead.version - 1, actor)
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).title == "Theirs"


def test_update_field_concurrent_write_raises_conflict(app_ctx):
    lead, actor = LeadFactory(), UserFactory(role="admin")
    db.session.execute(Lead.__table__.update().where(Lead.id == lead.id)
                       .values(version=Lead.version + 1))  # another request's UPDATE
    with pytest.raises(Conflict):
        services.update_field(lead, "city", "Oslo", None, actor)


def test_update_field_tags_alone_bumps_version(app_ctx):
    lead, actor = LeadFactory(), UserFactory(role="admin")
    services.update_field(lead, "tags", "alpha, beta", lead.version, actor)
    assert [tag.name for tag in lead.tags] == ["alpha", "beta"] and lead.version == 2


def test_update_field_owner_by_sales_is_not_allowed(app_ctx):
    lead, actor = LeadFactory(), UserFactory(role="sales")
    with pytest.raises(NotAllowed):
        services.update_field(lead, "owner_id", actor.id, lead.version, actor)


def test_edit_comment_of_someone_else_as_sales_is_not_allowed(app_ctx):
    author = UserFactory(role="sales")
    comment = services.add_comment(LeadFactory(), "mine", author)
    with pytest.raises(NotAllowed):
        services.edit_comment(comment, "changed", UserFactory(role="sales"))
    services.edit_comment(comment, "changed by manager", UserFactory(role="manager"))
    assert comment.body == "changed by manager"


def test_set_primary_contact_moves_the_flag(app_ctx):
    lead, actor = LeadFactory(), UserFactory(role="admin")
    first = services.add_lead_contact(lead, ContactFactory(), {}, actor)
    second = services.add_lead_contact(lead, ContactFactory(), {}, actor)
    assert first.is_primary and not second.is_primary
    services.set_primary_contact(lead, second.id, actor)
    primaries = db.session.scalars(select(LeadContact.id).where(
        LeadContact.lead_id == lead.id, LeadContact.is_primary.is_(True))).all()
    assert primaries == [second.id]
    assert lead.first_name == second.contact.first_name


def test_remove_primary_contact_with_others_left_is_refused(app_ctx):
    lead, actor = LeadFactory(), UserFactory(role="admin")
    first = services.add_lead_contact(lead, ContactFactory(), {}, actor)
    services.add_lead_contact(lead, ContactFactory(), {}, actor)
    with pytest.raises(RuleViolation):
        services.remove_lead_contact(lead, first.id, actor)


def test_timeline_pages_newest_first(app_ctx):
    lead, actor = LeadFactory(), UserFactory(role="admin")
    for number in range(25):
        services.update_field(lead, "city", f"City {number}", None, actor)
    first, more = services.timeline(lead, 1)
    second, more_after = services.timeline(lead, 2)
    assert more and not more_after and len(first) == 20 and len(second) == 5
    assert first[0].new_value == "City 24" and second[-1].new_value == "City 0"
