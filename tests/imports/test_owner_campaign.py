"""Owner and campaign columns: matched to users and campaigns, created or mapped, undone."""

from __future__ import annotations

from sqlalchemy import select

from leadapp.extensions import db
from leadapp.imports.mapping import guess_mapping
from leadapp.models import Activity, ActivityKind, Campaign, Lead, LeadSource
from tests.factories import CampaignFactory, LeadFactory, UserFactory
from tests.imports.conftest import csv_bytes, job_of

HEADER = ["Title", "Email", "Lead source", "Assigned to", "UTM campaign"]


def rows_file(*rows: list[str]) -> bytes:
    return csv_bytes([HEADER, *rows])


def test_owner_and_campaign_headers_are_recognised(app_ctx):
    mapping = guess_mapping(["Deal name", "Lead Owner", "Campaign name", "Sales rep"])
    assert mapping == {"0": "title", "1": "owner", "2": "campaign", "3": ""}


def test_owner_matches_email_or_name_and_bad_owners_are_row_errors(app, login, start_import,
                                                                   run_job):
    login("manager")
    with app.app_context():
        nina = UserFactory(name="Nina Novak", email="nina@example.com").id
        UserFactory(name="Max Mayer", email="max1@example.com")
        UserFactory(name="Max Mayer", email="max2@example.com")
        UserFactory(name="Old Timer", email="old@example.com", active=False)
    job_id = start_import(rows_file(
        ["By email", "", "Call", "NINA@example.com", ""],
        ["By name", "", "Call", "nina  novak", ""],
        ["Nobody", "", "Call", "", ""],
        ["Unknown", "", "Call", "ghost@example.com", ""],
        ["Ambiguous", "", "Call", "Max Mayer", ""],
        ["Inactive", "", "Call", "old@example.com", ""],
    ))
    preview = job_of(app, job_id).preview
    assert preview["counts"] == {"create": 3, "error": 3}
    reasons = [sample["errors"][0] for sample in preview["samples"]["error"]]
    assert reasons[0][0] == "Assigned to" and "no user has this email or name" in reasons[0][1]
    assert "use the email instead" in reasons[1][1] and "deactivated" in reasons[2][1]
    run_job(job_id)
    with app.app_context():
        owners = dict(db.session.execute(select(Lead.title, Lead.owner_id)).tuples().all())
    assert owners == {"By email": nina, "By name": nina, "Nobody": None}


def test_a_marketeer_may_only_name_themselves_as_owner(app, login, start_import):
    user_id = login("marketeer")
    with app.app_context():
        me = db.session.get(UserFactory._meta.model, user_id)
        UserFactory(name="Nina Novak", email="nina@example.com")
        my_email = me.email
    job_id = start_import(rows_file(["Mine", "", "Call", my_email, ""],
                                    ["Hers", "", "Call", "nina@example.com", ""]))
    preview = job_of(app, job_id).preview
    assert preview["counts"] == {"create": 1, "error": 1}
    assert "may not assign leads to other people" in preview["samples"]["error"][0]["errors"][0][1]


def test_unknown_campaign_is_created_under_the_row_source_or_mapped(app, login, start_import,
                                                                    run_job):
    login()
    with app.app_context():
        spring = CampaignFactory(name="Spring promo").id
    job_id = start_import(rows_file(["A", "", "Call", "", "spring PROMO"],
                                    ["B", "", "Call", "", "Black Friday"],
                                    ["C", "", "Call", "", "Webinar series"]))
    preview = job_of(app, job_id).preview
    assert dict(preview["unknown_campaigns"]) == {"Black Friday": 1, "Webinar series": 1}
    names = {entry[0]: index for index, entry in enumerate(preview["unknown_campaigns"])}
    form = {f"campaign-name-{i}": name for name, i in names.items()}
    form[f"campaign-{names['Webinar series']}"] = str(spring)
    run_job(job_id, **form)
    with app.app_context():
        campaigns = dict(db.session.execute(select(Lead.title, Lead.campaign_id)).tuples().all())
        created = db.session.scalar(select(Campaign).where(Campaign.name == "Black Friday"))
        call = db.session.scalar(select(LeadSource).where(LeadSource.name == "Call"))
        assert campaigns == {"A": spring, "B": created.id, "C": spring}
        assert created.source_id == call.id


def test_update_mode_changes_owner_and_campaign_and_undo_restores_them(app, client, login,
                                                                      start_import, run_job):
    login()
    with app.app_context():
        first = UserFactory(name="First Owner", email="first@example.com")
        second = UserFactory(name="Second Owner", email="second@example.com").id
        campaign = CampaignFactory(name="Old campaign")
        lead_id = LeadFactory(email="dup@example.com", owner=first, campaign=campaign).id
        before = (first.id, campaign.id)
    job_id = start_import(rows_file(["Dup", "dup@example.com", "Call", "second@example.com",
                                     "New campaign"]), mode="update")
    update = job_of(app, job_id).preview["samples"]["update"][0]
    assert ["Owner", "First Owner", "Second Owner"] in update["changes"]
    assert ["Campaign", "Old campaign", "New campaign"] in update["changes"]
    run_job(job_id)
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert lead.owner_id == second and lead.campaign.name == "New campaign"
        assigned = db.session.scalar(select(Activity).where(
            Activity.lead_id == lead_id, Activity.kind == ActivityKind.assigned))
        assert (assigned.old_value, assigned.new_value) == ("First Owner", "Second Owner")
    client.post(f"/admin/leads/import/{job_id}/undo")
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert (lead.owner_id, lead.campaign_id) == before
