"""`flask demo seed`: deterministic, realistic demo data, written with bulk inserts.

Every value comes from `random.Random(seed)` and every date is relative to `--anchor` (default:
today, UTC), so the same seed and anchor give the same data on SQLite and PostgreSQL. Leads and
their rows are generated in batches and written with Core `executemany` inserts; only the few
users, teams, tags and campaigns go through the ORM.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import Table, bindparam, func, insert, select, text, update

from .auth.models import Role, Team, User
from .auth.services import hash_password
from .companies.models import Company, Contact, Opportunity
from .errors import DomainError, RuleViolation
from .extensions import db
from .leads.activity import RESPONSE_KINDS
from .leads.models import Activity, ActivityKind, Lead, LeadContact, Tag, lead_tags
from .pipeline.models import LossReason, Pipeline, Stage, StageHistory, StageKind
from .reference import ensure_reference_data
from .sources.models import Campaign, LeadSource, Spend

demo_cli = AppGroup("demo", help="Demo data.")

# RFC 2606 reserves .example; `.test` would be refused by the sign-in and user forms' email check.
DEMO_DOMAIN = "demo.leadapp.example"
DEMO_PASSWORD = "demo-password"
BATCH_SIZE = 5000
DEFERRED_INDEX_MIN = 10_000  # from this many leads on, build the leads indexes after loading
HISTORY_DAYS = 730
BOARD_STEP = 1024.0  # the spacing leadapp.pipeline uses between cards

# (email local part, name, role, indexes into TEAMS)
DEMO_USERS: list[tuple[str, str, Role, tuple[int, ...]]] = [
    ("admin", "Alex Admin", Role.admin, ()),
    ("manager", "Morgan Miller", Role.manager, (0, 1)),
    ("sales", "Sam Sutton", Role.sales, (0,)),
    ("marketeer", "Maya Marsh", Role.marketeer, ()),
    ("olivia.chen", "Olivia Chen", Role.sales, (0,)),
    ("diego.ramos", "Diego Ramos", Role.sales, (0,)),
    ("priya.nair", "Priya Nair", Role.sales, (1,)),
    ("tom.becker", "Tom Becker", Role.sales, (1,)),
    ("amara.okafor", "Amara Okafor", Role.sales, (1,)),
]
TEAMS = ["Inside Sales", "Field Sales"]
TAGS = ["hot", "enterprise", "smb", "follow-up", "decision-maker", "budget-approved",
        "newsletter", "event", "partner-referral", "priority", "eu", "north-america"]

FIRST_NAMES = ["Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Isabel",
               "Jonas", "Kemi", "Lucas", "Mei", "Nina", "Omar", "Paula", "Quinn", "Rahul",
               "Sofia", "Theo", "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Lena",
               "Marco", "Aisha", "Felix", "Hannah", "Ivan", "Julia", "Karim", "Laura", "Noah"]
LAST_NAMES = ["Adams", "Berg", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen",
              "Ito", "Jensen", "Kowalski", "Larsen", "Moreau", "Novak", "Olsen", "Petrov",
              "Quinlan", "Rossi", "Schmidt", "Tanaka", "Urban", "Vogel", "Walsh", "Xu",
              "Young", "Zimmer", "Brennan", "Lindqvist", "Okafor", "Patel", "Silva", "Weber"]
COMPANY_WORDS = ["Northwind", "Bluepeak", "Harbor", "Silverline", "Redwood", "Brightpath",
                 "Ironbridge", "Greenfield", "Skyline", "Oakridge", "Clearwater", "Sunstone",
                 "Westbrook", "Nordlicht", "Cobalt", "Maple", "Granite", "Lakeside", "Vertex",
                 "Evergreen", "Summit", "Riverside", "Polaris", "Cedar", "Horizon", "Alpine",
                 "Beacon", "Crescent", "Falcon", "Juniper", "Keystone", "Meridian", "Orchard",
                 "Pioneer", "Quartz", "Sterling", "Tidewater", "Union", "Willow", "Zephyr"]
COMPANY_KINDS = ["Logistics", "Foods", "Analytics", "Dental", "Architects", "Software",
                 "Manufacturing", "Consulting", "Retail", "Health", "Energy", "Media",
                 "Insurance", "Travel", "Robotics", "Labs", "Textiles", "Construction",
                 "Hospitality", "Legal", "Finance", "Print", "Farms", "Motors", "Studios"]
LEGAL_FORMS = ["Ltd", "GmbH", "Inc.", "LLC", "BV", "S.A.", "AB"]
INDUSTRIES = {"Logistics": "Transport", "Foods": "Food & beverage", "Analytics": "Software",
              "Dental": "Healthcare", "Health": "Healthcare", "Software": "Software",
              "Labs": "Research", "Finance": "Financial services", "Insurance": "Insurance",
              "Retail": "Retail", "Energy": "Energy", "Media": "Media"}
POSITIONS = ["CEO", "Head of Sales", "Operations Manager", "IT Director", "Marketing Lead",
             "Office Manager", "CFO", "Procurement Manager", "Founder", "Project Manager"]
# (city, state, country, phone prefix)
CITIES = [("Berlin", "", "Germany", "+49 30"), ("Munich", "Bavaria", "Germany", "+49 89"),
          ("London", "", "United Kingdom", "+44 20"),
          ("Manchester", "", "United Kingdom", "+44 161"), ("Dublin", "", "Ireland", "+353 1"),
          ("Amsterdam", "", "Netherlands", "+31 20"), ("Lyon", "", "France", "+33 4"),
          ("Madrid", "", "Spain", "+34 91"), ("Warsaw", "", "Poland", "+48 22"),
          ("Stockholm", "", "Sweden", "+46 8"), ("Austin", "TX", "United States", "+1 512"),
          ("Chicago", "IL", "United States", "+1 312"),
          ("Seattle", "WA", "United States", "+1 206"),
          ("Denver", "CO", "United States", "+1 303"), ("Toronto", "ON", "Canada", "+1 416"),
          ("Sydney", "NSW", "Australia", "+61 2")]
STREETS = ["Market Street", "Station Road", "Harbour Way", "Park Avenue", "Mill Lane",
           "King Street", "Church Road", "Garden Row", "Bridge Street", "Elm Court"]
PRODUCTS = ["CRM licences", "Onboarding package", "Data migration", "Support plan",
            "Analytics add-on", "Custom integration", "Training workshop", "Annual subscription",
            "Team upgrade", "Mobile app rollout"]
SELLING_DIRECTIONS = ["New business", "Upsell", "Renewal", "Cross-sell"]
DESCRIPTIONS = [
    "{first} asked about {product} for a team of {size}.",
    "Wants a quote for {product}; {size} users, decision expected this quarter.",
    "Met {first} at a meetup. Interested in {product} once the current contract ends.",
    "Inbound request: {product} for {size} seats, compare with their current tool.",
    "{first} needs {product} and asked for references from their industry.",
]
# Relative weight of each starter source, and its typical channels.
SOURCE_WEIGHTS = {"Website form": 24, "Social network": 12, "Referral": 10, "Advertisement": 10,
                  "Email": 8, "Chat": 8, "Call": 8, "Partner": 7, "Cold call": 6, "Trade show": 6}
CHANNELS = {"Website form": ["Organic search", "Paid search", "Direct"],
            "Social network": ["LinkedIn", "Facebook", "Instagram"],
            "Advertisement": ["Google Ads", "Display", "Podcast"],
            "Email": ["Newsletter", "Outbound sequence"], "Chat": ["Website chat"],
            "Trade show": ["Booth", "Talk"], "Partner": ["Reseller", "Integrator"]}
# Campaign themes per source; each theme runs once per half-year.
CAMPAIGN_THEMES = {"Advertisement": ["Search ads", "Retargeting"],
                   "Social network": ["LinkedIn sponsored posts", "Customer stories"],
                   "Email": ["Newsletter", "Win-back"], "Trade show": ["CRM Summit"],
                   "Website form": ["Pricing page", "Whitepaper download"],
                   "Partner": ["Partner programme"]}
WON_COMMENTS = ["Signed the annual plan.", "PO received, onboarding booked.",
                "Closed after the second demo.", "Chose us over two competitors.",
                "Signed with a pilot for one team first."]
LOST_COMMENTS = {"No budget": "Budget frozen until next year.",
                 "Chose a competitor": "Went with a cheaper competitor.",
                 "No response": "No answer after four follow-ups.",
                 "Not a fit": "They need features we do not plan.",
                 "Bad timing": "Asked us to check back in six months.",
                 "Duplicate": "Duplicate of an existing lead."}


# --- Reference rows the generator picks from --------------------------------------------------


@dataclass
class ContactRef:
    id: int
    first: str
    last: str
    email: str
    phone: str
    mobile: str
    position: str


@dataclass
class CompanyRef:
    id: int
    name: str
    domain: str
    city: tuple[str, str, str, str]
    contacts: list[ContactRef] = field(default_factory=list)


@dataclass
class Refs:
    anchor: datetime
    pipeline_id: int
    stages: dict[int, Stage]
    first_stage: Stage
    open_stages: list[Stage]
    working_stage: Stage | None
    won: Stage
    lost: Stage
    owners: list[tuple[int | None, int | None]]
    sources: list[tuple[int, str]]
    source_weights: list[int]
    campaigns: dict[int, list[tuple[int, date, date]]]
    loss_reasons: list[tuple[int, str]]
    tag_ids: list[int]
    companies: list[CompanyRef]
    next_position: dict[int, float]
    next_id: dict[str, int]


@dataclass
class Batch:
    """Rows for one batch of leads, in insert order."""

    companies: list[dict[str, Any]] = field(default_factory=list)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    leads: list[dict[str, Any]] = field(default_factory=list)
    company_origins: list[dict[str, Any]] = field(default_factory=list)
    lead_contacts: list[dict[str, Any]] = field(default_factory=list)
    lead_tags: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    opportunities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SeedReport:
    leads: int = 0
    companies: int = 0
    contacts: int = 0
    opportunities: int = 0
    users_created: list[str] = field(default_factory=list)
    users_reused: list[str] = field(default_factory=list)
    seconds: float = 0.0


# --- The command --------------------------------------------------------------------------------


@demo_cli.command("seed")
@click.option("--leads", "lead_count", default=2000, show_default=True,
              type=click.IntRange(min=0), help="How many leads to create.")
@click.option("--seed", default=42, show_default=True, type=int,
              help="Random seed: the same seed and anchor give the same data.")
@click.option("--anchor", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day the demo data ends (YYYY-MM-DD). Every date is relative to it. "
                   "Default: today (UTC).")
@click.option("--if-empty", is_flag=True,
              help="Do nothing when the database already holds leads (for `make run`).")
def seed_command(lead_count: int, seed: int, anchor: datetime | None, if_empty: bool) -> None:
    """Create demo users, teams, companies, campaigns and LEADS leads over the last two years."""
    if if_empty and db.session.scalar(select(func.count(Lead.id))):
        click.echo("The database already holds leads; no demo data added (--if-empty).")
        return
    try:
        report = seed_demo(lead_count, seed=seed, anchor=anchor.date() if anchor else None)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    if report.users_reused:
        click.echo(f"Demo users already existed ({len(report.users_reused)}); reused them and "
                   "added the new leads to them.")
    click.echo(f"Created {report.leads:,} leads, {report.companies:,} companies, "
               f"{report.contacts:,} contacts and {report.opportunities:,} opportunities "
               f"in {report.seconds:.1f} s.")
    click.echo(f"\nDemo sign-in (password for every demo user: {DEMO_PASSWORD}):")
    for local, name, role, _ in DEMO_USERS[:4]:
        email = f"{local}@{DEMO_DOMAIN}"
        click.echo(f"  {role.value:<10} {email:<32} {name}")
    click.echo(f"  + {len(DEMO_USERS) - 4} more sales reps @{DEMO_DOMAIN}")


def seed_demo(lead_count: int, seed: int = 42, anchor: date | None = None) -> SeedReport:
    """Write the demo data in one transaction and commit it."""
    started = time.perf_counter()
    rng = random.Random(seed)
    anchor = anchor or datetime.now(UTC).date()
    anchor_at = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
    report = SeedReport()
    ensure_reference_data()
    user_ids = _ensure_users(report)
    refs = _load_refs(rng, anchor_at, user_ids, lead_count, report)
    with _lead_indexes_deferred(lead_count):
        for created in _chunks(_created_times(rng, anchor_at, lead_count), BATCH_SIZE):
            batch = Batch()
            for created_at in created:
                _make_lead(rng, refs, batch, created_at)
            _write(batch)
            report.leads += len(batch.leads)
            report.companies += len(batch.companies)
            report.contacts += len(batch.contacts)
            report.opportunities += len(batch.opportunities)
    _fix_sequences()
    db.session.commit()
    report.seconds = time.perf_counter() - started
    return report


# --- Users, teams, tags, companies, campaigns ---------------------------------------------------


def _ensure_users(report: SeedReport) -> dict[str, int]:
    """The demo users by email local part (created where missing), in their teams."""
    teams = [_get_or_add(Team, name) for name in TEAMS]
    password_hash: str | None = None
    users: dict[str, User] = {}
    for local, name, role, team_indexes in DEMO_USERS:
        email = f"{local}@{DEMO_DOMAIN}"
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is None:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)  # scrypt is slow
            user = User(email=email, name=name, role=role, password_hash=password_hash,
                        active=True, preferences={})
            db.session.add(user)
            report.users_created.append(email)
        else:
            report.users_reused.append(email)
        for index in team_indexes:
            if teams[index] not in user.teams:
                user.teams.append(teams[index])
        users[local] = user
    db.session.flush()
    return {local: user.id for local, user in users.items()}


def _get_or_add(model: Any, name: str) -> Any:
    row = db.session.scalar(select(model).where(func.lower(model.name) == name.lower()))
    if row is None:
        row = model(name=name)
        db.session.add(row)
        db.session.flush()
    return row


def _load_refs(rng: random.Random, anchor_at: datetime, user_ids: dict[str, int],
               lead_count: int, report: SeedReport) -> Refs:
    pipeline = db.session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
    stages = list(pipeline.stages)
    open_stages = [stage for stage in stages if stage.kind == StageKind.open]
    working = [stage for stage in open_stages[1:] if stage.name == "In process"]
    sources = [(row.id, row.name) for row in db.session.scalars(
        select(LeadSource).where(LeadSource.active.is_(True)).order_by(LeadSource.id))]
    next_id = {table: (db.session.scalar(select(func.max(model.id))) or 0) + 1
               for table, model in (("companies", Company), ("contacts", Contact),
                                    ("leads", Lead))}
    refs = Refs(
        anchor=anchor_at, pipeline_id=pipeline.id, stages={stage.id: stage for stage in stages},
        first_stage=open_stages[0], open_stages=open_stages,
        working_stage=working[0] if working else None,
        won=pipeline.stage_of_kind(StageKind.won), lost=pipeline.stage_of_kind(StageKind.lost),
        owners=_owner_pool(user_ids), sources=sources,
        source_weights=[SOURCE_WEIGHTS.get(name, 5) for _, name in sources],
        campaigns=_ensure_campaigns(rng, anchor_at.date(), sources),
        loss_reasons=[(row.id, row.name) for row in db.session.scalars(
            select(LossReason).where(LossReason.active.is_(True)).order_by(LossReason.position,
                                                                             LossReason.id))],
        tag_ids=[_get_or_add(Tag, name).id for name in TAGS],
        companies=[], next_position=_top_positions(stages), next_id=next_id,
    )
    if not refs.sources or not refs.loss_reasons:
        raise RuleViolation("The demo needs at least one active lead source and one active "
                            "loss reason; reactivate one and run the command again.")
    refs.companies = _ensure_companies(rng, refs, max(lead_count // 20, 1), report)
    return refs


def _owner_pool(user_ids: dict[str, int]) -> list[tuple[int | None, int | None]]:
    """(owner id, team id) choices, weighted: reps own most leads, a few are unassigned."""
    team_ids = {index: _get_or_add(Team, name).id for index, name in enumerate(TEAMS)}
    pool: list[tuple[int | None, int | None]] = []
    for local, _, role, team_indexes in DEMO_USERS:
        weight = {Role.sales: 14, Role.manager: 4}.get(role, 0)
        for index in range(weight):
            team = team_indexes[index % len(team_indexes)] if team_indexes else None
            pool.append((user_ids[local], team_ids.get(team) if team is not None else None))
    pool += [(None, team_ids[0]), (None, team_ids[1]), (None, None), (None, None)]
    return pool


def _top_positions(stages: list[Stage]) -> dict[int, float]:
    """Newer leads go on top of each column: positions count down from the current top."""
    tops = dict(db.session.execute(
        select(Lead.stage_id, func.min(Lead.board_position)).group_by(Lead.stage_id)).all())
    return {stage.id: float(tops.get(stage.id) or 0.0) for stage in stages}


def _half_years(anchor: date) -> Iterator[tuple[str, date, date]]:
    year, half = anchor.year - 2, 1 if anchor.month <= 6 else 2
    while (year, half) <= (anchor.year, 1 if anchor.month <= 6 else 2):
        start = date(year, 1 if half == 1 else 7, 1)
        end = date(year, 6, 30) if half == 1 else date(year, 12, 31)
        yield f"H{half} {year}", start, end
        year, half = (year, 2) if half == 1 else (year + 1, 1)


def _ensure_campaigns(rng: random.Random, anchor: date,
                      sources: list[tuple[int, str]]) -> dict[int, list[tuple[int, date, date]]]:
    """One campaign per theme and half-year for the sources that run campaigns, with spend."""
    existing = {name.lower(): (cid, start, end) for cid, name, start, end in db.session.execute(
        select(Campaign.id, Campaign.name, Campaign.start_date, Campaign.end_date))}
    campaigns: dict[int, list[tuple[int, date, date]]] = {}
    for source_id, source_name in sources:
        for theme in CAMPAIGN_THEMES.get(source_name, []):
            for label, start, end in _half_years(anchor):
                name = f"{theme} {label}"
                budget = Decimal(rng.randrange(2000, 24000, 500))
                if name.lower() not in existing:
                    campaign = Campaign(name=name, source_id=source_id, start_date=start,
                                        end_date=end, budget=budget, active=end >= anchor,
                                        description=f"{theme} for {source_name.lower()} leads.")
                    db.session.add(campaign)
                    db.session.flush()
                    _add_spend(rng, campaign, anchor)
                    existing[name.lower()] = (campaign.id, start, end)
                campaigns.setdefault(source_id, []).append(existing[name.lower()])
    return campaigns


def _add_spend(rng: random.Random, campaign: Campaign, anchor: date) -> None:
    """Monthly spend rows up to the anchor, adding up to about the campaign budget."""
    months = [date(campaign.start_date.year, month, 1)
              for month in range(campaign.start_date.month, campaign.end_date.month + 1)]
    months = [month for month in months if month <= anchor]
    for month in months:
        share = campaign.budget / 6 * Decimal(rng.uniform(0.7, 1.2))
        db.session.add(Spend(source_id=campaign.source_id, campaign_id=campaign.id,
                             spent_on=month, amount=share.quantize(Decimal("0.01")),
                             note=f"{campaign.name}: {month:%B} invoice"))


def _ensure_companies(rng: random.Random, refs: Refs, count: int,
                      report: SeedReport) -> list[CompanyRef]:
    """`count` named customer companies with 1-3 contacts each; existing names are reused."""
    existing = {name.lower(): cid for cid, name in db.session.execute(
        select(Company.id, Company.name))}
    names = _company_names(rng, count)
    companies, company_rows, contact_rows = [], [], []
    for base, name in names:
        city = rng.choice(CITIES)
        ref = CompanyRef(existing.get(name.lower(), 0), name, _domain(base), city)
        if ref.id:
            ref.contacts = _existing_contacts(ref.id)
        if not ref.contacts:
            if not ref.id:
                ref.id = _take_id(refs, "companies")
                company_rows.append(_company_row(rng, refs, ref, base))
            for _ in range(rng.choice((1, 1, 2, 3))):
                contact = _new_contact(rng, refs, ref)
                contact_rows.append(_contact_row(contact, ref.id, refs.anchor))
                ref.contacts.append(contact)
        companies.append(ref)
    _insert(Company.__table__, company_rows)
    _insert(Contact.__table__, contact_rows)
    report.companies += len(company_rows)
    report.contacts += len(contact_rows)
    return companies


def _company_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Distinct (base, full) company names in a seed-determined order."""
    combos = [(word, kind) for word in COMPANY_WORDS for kind in COMPANY_KINDS]
    rng.shuffle(combos)
    names = []
    for index in range(count):
        word, kind = combos[index % len(combos)]
        legal = LEGAL_FORMS[(index // len(combos) + len(word)) % len(LEGAL_FORMS)]
        names.append((f"{word} {kind}", f"{word} {kind} {legal}"))
    return names


def _existing_contacts(company_id: int) -> list[ContactRef]:
    rows = db.session.scalars(select(Contact).where(Contact.company_id == company_id)
                              .order_by(Contact.id))
    return [ContactRef(row.id, row.first_name, row.last_name, row.email, row.phone, row.mobile,
                       row.position) for row in rows]


def _company_row(rng: random.Random, refs: Refs, ref: CompanyRef, base: str) -> dict[str, Any]:
    created = refs.anchor - timedelta(days=HISTORY_DAYS + rng.randint(1, 400))
    kind = base.split()[-1]
    return {"id": ref.id, "name": ref.name, "website": f"https://www.{ref.domain}",
            "tin": f"{rng.randint(10**9, 10**10 - 1)}", "industry": INDUSTRIES.get(kind, kind),
            "city": ref.city[0], "created_at": created, "updated_at": created}


def _new_contact(rng: random.Random, refs: Refs, company: CompanyRef) -> ContactRef:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{first}.{last}@{company.domain}".lower() if rng.random() < 0.92 else ""
    mobile = _phone(rng, company.city) if rng.random() < 0.5 else ""
    return ContactRef(_take_id(refs, "contacts"), first, last, email, _phone(rng, company.city),
                      mobile, rng.choice(POSITIONS))


def _contact_row(contact: ContactRef, company_id: int, when: datetime) -> dict[str, Any]:
    return {"id": contact.id, "first_name": contact.first, "last_name": contact.last,
            "email": contact.email, "phone": contact.phone, "mobile": contact.mobile,
            "position": contact.position, "company_id": company_id, "created_at": when,
            "updated_at": when}


# --- Leads -----------------------------------------------------------------------------------


def _created_times(rng: random.Random, anchor_at: datetime, count: int) -> list[datetime]:
    """Creation times over the last two years, oldest first, growing towards the anchor."""
    ages = []
    for _ in range(count):
        if rng.random() < 0.5:
            age = rng.random() * HISTORY_DAYS
        else:
            age = HISTORY_DAYS * (1 - rng.random() ** 0.5)
        ages.append(int(age) + 1)
    return sorted(anchor_at - timedelta(days=age, hours=-rng.randint(8, 18),
                                        minutes=-rng.randint(0, 59), seconds=-rng.randint(0, 59))
                  for age in ages)


def _make_lead(rng: random.Random, refs: Refs, batch: Batch, created: datetime) -> None:
    lead_id = _take_id(refs, "leads")
    owner_id, team_id = rng.choice(refs.owners)
    source_id, source_name = rng.choices(refs.sources, refs.source_weights)[0]
    person, company_id, contact = _prospect(rng, refs)
    product = rng.choice(PRODUCTS)
    row = {"id": lead_id, **person, **_outcome(rng, refs, created, batch, lead_id, owner_id),
           "title": f"{product} for {person['company_name']}",
           "description": rng.choice(DESCRIPTIONS).format(
               first=person["first_name"], product=product.lower(),
               size=rng.choice((5, 8, 12, 20, 35, 50, 120))),
           "source_id": source_id, "campaign_id": _campaign(rng, refs, source_id, created),
           "channel": rng.choice(CHANNELS.get(source_name, [""])),
           "selling_direction": rng.choice(SELLING_DIRECTIONS), "product": product,
           "budget": Decimal(rng.randrange(5, 600) * 250) if rng.random() < 0.85 else None,
           "currency": "USD", "company_id": company_id, "owner_id": owner_id,
           "team_id": team_id, "pipeline_id": refs.pipeline_id, "start_date": created.date(),
           "created_by_id": owner_id if rng.random() < 0.7 else None, "created_at": created,
           "version": 1, "deleted_at": None}
    if row["stage_id"] == refs.won.id and rng.random() < 0.7:
        contact = _convert(rng, refs, batch, row, contact)
    if contact is not None:
        batch.lead_contacts.append({"lead_id": lead_id, "contact_id": contact.id,
                                    "is_primary": True})
    if rng.random() < 0.004:  # a few in the trash
        row["deleted_at"] = row["updated_at"]
    for tag_id in rng.sample(refs.tag_ids, rng.choice((0, 0, 1, 1, 2, 3))):
        batch.lead_tags.append({"lead_id": lead_id, "tag_id": tag_id})
    _activity(batch, lead_id, row["created_by_id"], ActivityKind.created, created,
              data={"source": "demo"})
    batch.leads.append(row)


def _prospect(rng: random.Random, refs: Refs) -> tuple[dict[str, Any], int | None,
                                                         ContactRef | None]:
    """The prospect's own words; about half the leads come from a known customer's contact."""
    if refs.companies and rng.random() < 0.5:
        company = rng.choice(refs.companies)
        contact = rng.choice(company.contacts)
        return (_person(rng, company.name, company.domain, company.city, contact.first,
                        contact.last, contact.position, contact.email, contact.phone,
                        contact.mobile), company.id, contact)
    base = f"{rng.choice(LAST_NAMES)} {rng.choice(COMPANY_KINDS)}"
    city = rng.choice(CITIES)
    first, last, domain = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), _domain(base)
    email = f"{first}.{last}@{domain}".lower() if rng.random() < 0.9 else ""
    phone = _phone(rng, city) if rng.random() < 0.8 or not email else ""
    mobile = _phone(rng, city) if rng.random() < 0.4 else ""
    return (_person(rng, f"{base} {rng.choice(LEGAL_FORMS)}", domain, city, first, last,
                    rng.choice(POSITIONS), email, phone, mobile), None, None)


def _person(rng: random.Random, company_name: str, domain: str,
            city: tuple[str, str, str, str], first: str, last: str, position: str, email: str,
            phone: str, mobile: str) -> dict[str, Any]:
    street = f"{rng.randint(1, 240)} {rng.choice(STREETS)}"
    postcode = f"{rng.randint(10000, 99999)}"
    return {"company_name": company_name, "first_name": first, "last_name": last,
            "email": email, "phone": phone, "mobile": mobile, "position": position,
            "website": f"https://www.{domain}", "street": street,
            "address": f"{street}, {postcode} {city[0]}", "city": city[0], "state": city[1],
            "postcode": postcode, "country": city[2]}


def _campaign(rng: random.Random, refs: Refs, source_id: int, created: datetime) -> int | None:
    running = [cid for cid, start, end in refs.campaigns.get(source_id, [])
               if start <= created.date() <= end]
    return rng.choice(running) if running and rng.random() < 0.65 else None


def _outcome(rng: random.Random, refs: Refs, created: datetime, batch: Batch, lead_id: int,
             owner_id: int | None) -> dict[str, Any]:
    """Stage, dates and closing details; most leads are open, older ones more often closed."""
    age = (refs.anchor - created).total_seconds() / 86400
    path = [(refs.first_stage, created)]
    fields: dict[str, Any] = {"closing_date": None, "closing_comment": "",
                              "loss_reason_id": None, "deadline": None}
    if rng.random() < min(0.75, age / 600):
        closed = created + timedelta(days=min(age, 120) * rng.uniform(0.05, 1.0))
        if refs.working_stage is not None:
            path.append((refs.working_stage, created + (closed - created) * 0.3))
        won = rng.random() < 0.3
        path.append((refs.won if won else refs.lost, closed))
        fields["closing_date"] = closed.date()
        if won:
            fields["closing_comment"] = rng.choice(WON_COMMENTS)
        else:
            reason_id, reason = rng.choice(refs.loss_reasons)
            fields.update(loss_reason_id=reason_id,
                          closing_comment=LOST_COMMENTS.get(reason, "Closed as lost."))
    else:
        weights = (1, 0, 0, 0) if age < 2 else (3, 3, 4, 1)
        stage = rng.choices(refs.open_stages, weights[:len(refs.open_stages)]
                            + (1,) * max(len(refs.open_stages) - 4, 0))[0]
        if stage.id != refs.first_stage.id:
            path.append((stage, created + timedelta(days=min(age, 30) * rng.random())))
        if rng.random() < 0.7:
            fields["deadline"] = (created + timedelta(days=rng.randint(14, 120))).date()
    _path_rows(batch, lead_id, owner_id, path)
    stage, entered = path[-1]
    touched = entered
    if not stage.is_closed:  # worked on since, within ten days and before the anchor
        window = min(refs.anchor, entered + timedelta(days=10)) - entered
        touched = entered + window * rng.random()
    refs.next_position[stage.id] -= BOARD_STEP
    return {**fields, "stage_id": stage.id, "stage_entered_at": entered,
            "last_touched_at": touched, "updated_at": max(touched, entered),
            "board_position": refs.next_position[stage.id]}


def _path_rows(batch: Batch, lead_id: int, actor_id: int | None,
               path: list[tuple[Stage, datetime]]) -> None:
    """One stage_history row per stage the lead was in, and a timeline row per move."""
    for index, (stage, entered) in enumerate(path):
        left = path[index + 1][1] if index + 1 < len(path) else None
        batch.history.append({"lead_id": lead_id, "stage_id": stage.id, "entered_at": entered,
                              "left_at": left, "moved_by_id": actor_id if index else None})
        if index:
            old = path[index - 1][0]
            _activity(batch, lead_id, actor_id, ActivityKind.stage_moved, entered,
                      field="stage", old=old.name, new=stage.name,
                      data={"from_stage_id": old.id, "to_stage_id": stage.id})


def _convert(rng: random.Random, refs: Refs, batch: Batch, row: dict[str, Any],
             contact: ContactRef | None) -> ContactRef:
    """Turn a won lead into a company, contact and opportunity (creating what is missing)."""
    converted_at = row["stage_entered_at"] + timedelta(hours=rng.randint(1, 48))
    converted_at = min(converted_at, refs.anchor)
    if row["company_id"] is None or contact is None:
        base = row["company_name"].rsplit(" ", 1)[0]
        city = next(city for city in CITIES if city[0] == row["city"])
        company = CompanyRef(_take_id(refs, "companies"), row["company_name"], _domain(base),
                             city)
        batch.companies.append({**_company_row(rng, refs, company, base),
                                "created_at": converted_at, "updated_at": converted_at})
        batch.company_origins.append({"company": company.id, "lead": row["id"]})
        contact = ContactRef(_take_id(refs, "contacts"), row["first_name"], row["last_name"],
                             row["email"], row["phone"], row["mobile"], row["position"])
        batch.contacts.append(_contact_row(contact, company.id, converted_at))
        row["company_id"] = company.id
    row.update(converted_at=converted_at, converted_company_id=row["company_id"],
               converted_contact_id=contact.id, updated_at=max(row["updated_at"], converted_at))
    batch.opportunities.append({
        "name": row["title"], "amount": row["budget"], "currency": row["currency"],
        "company_id": row["company_id"], "contact_id": contact.id, "owner_id": row["owner_id"],
        "lead_id": row["id"], "expected_close": row["closing_date"], "created_at": converted_at})
    _activity(batch, row["id"], row["owner_id"], ActivityKind.converted, converted_at,
              data={"company_id": row["company_id"], "contact_id": contact.id})
    return contact


def _activity(batch: Batch, lead_id: int, actor_id: int | None, kind: ActivityKind,
              when: datetime, field: str = "", old: str = "", new: str = "",
              data: dict[str, Any] | None = None) -> None:
    batch.activities.append({"lead_id": lead_id, "actor_id": actor_id, "kind": kind,
                             "field": field, "old_value": old, "new_value": new, "data": data,
                             "created_at": when})


# --- Writing ---------------------------------------------------------------------------------


def _write(batch: Batch) -> None:
    """Insert one batch; companies made by conversions learn their lead once it exists."""
    lead_defaults = {"converted_at": None, "converted_company_id": None,
                     "converted_contact_id": None}
    first_response = _first_responses(batch.activities)
    _insert(Company.__table__, batch.companies)
    _insert(Contact.__table__, batch.contacts)
    _insert(Lead.__table__, [{**lead_defaults, **row,
                              "first_response_at": first_response.get(row["id"])}
                             for row in batch.leads])
    if batch.company_origins:
        table = Company.__table__
        db.session.execute(update(table).where(table.c.id == bindparam("company"))
                           .values(created_from_lead_id=bindparam("lead")),
                           batch.company_origins)
    _insert(LeadContact.__table__, batch.lead_contacts)
    _insert(lead_tags, batch.lead_tags)
    _insert(StageHistory.__table__, batch.history)
    _insert(Activity.__table__, batch.activities)
    _insert(Opportunity.__table__, batch.opportunities)


def _first_responses(activities: list[dict[str, Any]]) -> dict[int, datetime]:
    """Each lead's first response by a person, as leads.activity.record would have stamped it."""
    first: dict[int, datetime] = {}
    for row in activities:
        if row["actor_id"] is not None and row["kind"] in RESPONSE_KINDS:
            lead_id = row["lead_id"]
            if lead_id not in first or row["created_at"] < first[lead_id]:
                first[lead_id] = row["created_at"]
    return first


@contextmanager
def _lead_indexes_deferred(lead_count: int) -> Iterator[None]:
    """Into an empty leads table, build its ~20 secondary indexes once after the bulk insert
    (a sorted build) instead of updating each of them row by row: a quarter less CPU at 100k."""
    connection = db.session.connection()
    if lead_count < DEFERRED_INDEX_MIN or db.session.scalar(select(Lead.id).limit(1)):
        yield
        return
    existing = _index_names(connection, "leads")
    deferred = sorted((index for index in Lead.__table__.indexes if index.name in existing),
                      key=lambda index: index.name)
    for index in deferred:
        index.drop(connection)
    yield
    for index in deferred:
        index.create(connection)


def _index_names(connection: Any, table: str) -> set[str]:
    """The table's index names from the catalogue: the inspector skips expression indexes (with
    a warning), and those cost the most to maintain row by row."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :table"
    else:
        query = ("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                 "AND tablename = :table")
    return set(connection.scalars(text(query), {"table": table}))


def _insert(table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        db.session.execute(insert(table), rows)


def _fix_sequences() -> None:
    """PostgreSQL: move the id sequences past the ids this command chose itself."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in ("companies", "contacts", "leads"):
        db.session.execute(select(func.setval(
            func.pg_get_serial_sequence(table, "id"),
            select(func.coalesce(func.max(db.metadata.tables[table].c.id), 1))
            .scalar_subquery())))


# --- Small helpers ---------------------------------------------------------------------------


def _take_id(refs: Refs, table: str) -> int:
    value = refs.next_id[table]
    refs.next_id[table] = value + 1
    return value


def _domain(base: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-") + ".example.com"


def _phone(rng: random.Random, city: tuple[str, str, str, str]) -> str:
    return f"{city[3]} {rng.randint(200, 999)} {rng.randint(1000, 9999)}"


def _chunks(items: list[datetime], size: int) -> Iterator[list[datetime]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
