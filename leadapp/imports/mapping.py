"""Which lead field each column feeds: importable fields, header synonyms, remembered choices."""

from __future__ import annotations

import re

from sqlalchemy import select

from ..custom_fields import exporting as custom_columns
from ..db_types import utcnow
from ..extensions import db
from .models import ImportHeaderMapping

SKIP = ""

# (key, label) in the order the mapping step lists them.
FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Title"), ("source", "Lead source"), ("description", "Description"),
    ("company_name", "Lead company name"), ("contact_name", "Full name (split in two)"),
    ("first_name", "First name"), ("middle_name", "Middle name"), ("last_name", "Last name"),
    ("email", "Email"), ("phone", "Phone"), ("mobile", "Mobile"), ("position", "Position"),
    ("website", "Website"), ("address", "Address"), ("street", "Street"), ("city", "City"),
    ("state", "State"), ("postcode", "Postcode"), ("country", "Country"),
    ("channel", "Content distribution channel"), ("selling_direction", "Selling direction"),
    ("product", "Service or product"), ("budget", "Budget"), ("currency", "Currency"),
    ("start_date", "Start date"), ("deadline", "Deadline"), ("tags", "Tags"),
    ("owner", "Owner (user email or name)"), ("campaign", "Campaign"),
)
FIELD_LABELS = dict(FIELDS)


def all_fields() -> list[tuple[str, str]]:
    """The built-in fields, then the admin-defined custom lead fields (`cf_<key>`)."""
    return [*FIELDS, *custom_columns.columns()]


def field_labels() -> dict[str, str]:
    return dict(all_fields())

# Common spellings from other CRMs, trade-show scanners, ad platforms and the seed APIs
# (Perfex: name, phonenumber, zip; Django CRM: city_name, lead_source; Zoho/Salesforce:
# Lead Source, Account Name, Mobile Phone). Compared after `header_key`.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("leadtitle", "subject", "leadname", "topic", "deal", "dealname", "opportunity",
              "opportunityname"),
    "source": ("leadsource", "sourcename", "origin", "utmsource", "leadorigin"),
    "description": ("notes", "note", "comment", "comments", "details", "message", "remarks",
                    "leaddescription"),
    "company_name": ("company", "companyname", "accountname", "account", "organization",
                     "organisation", "organizationname", "business", "businessname", "employer",
                     "leadcompany"),
    "contact_name": ("name", "fullname", "contactname", "contact", "contactperson", "person"),
    "first_name": ("firstname", "givenname", "fname", "forename", "first"),
    "middle_name": ("middlename", "middle", "patronymic"),
    "last_name": ("lastname", "surname", "familyname", "lname", "last"),
    "email": ("email", "emailaddress", "mail", "workemail", "businessemail", "primaryemail",
              "emailid"),
    "phone": ("phone", "phonenumber", "telephone", "tel", "workphone", "businessphone",
              "officephone", "phoneno", "companyphone"),
    "mobile": ("mobile", "mobilephone", "cell", "cellphone", "mobilenumber", "mobileno"),
    "position": ("position", "jobtitle", "designation", "role", "jobposition", "occupation"),
    "website": ("website", "web", "url", "site", "homepage", "companywebsite", "webaddress"),
    "address": ("address", "addressline", "address1", "fulladdress", "companyaddress",
                "mailingaddress"),
    "street": ("street", "streetaddress", "mailingstreet"),
    "city": ("city", "cityname", "town", "mailingcity"),
    "state": ("state", "region", "province", "county", "stateprovince", "mailingstate"),
    "postcode": ("zip", "zipcode", "postcode", "postalcode", "mailingpostalcode"),
    "country": ("country", "countryname", "mailingcountry", "countrycode"),
    "channel": ("channel", "distributionchannel", "contentdistributionchannel", "medium",
                "utmmedium"),
    "selling_direction": ("sellingdirection", "direction", "businessline"),
    "product": ("product", "service", "productorservice", "serviceorproduct", "interest",
                "interestedin", "productinterest"),
    "budget": ("budget", "amount", "value", "dealvalue", "leadvalue", "estimatedvalue",
               "estimatedbudget", "expectedrevenue", "revenue"),
    "currency": ("currency", "currencycode"),
    "start_date": ("startdate", "start", "datestarted"),
    "deadline": ("deadline", "duedate", "expectedclose", "expectedclosedate", "closedate"),
    "tags": ("tags", "tag", "labels", "label", "keywords", "categories"),
    "owner": ("owner", "leadowner", "owneremail", "ownername", "assignedto", "assigned",
              "assignee", "assigneduser", "salesrep", "salesperson", "responsible",
              "responsibleperson", "responsibleuser", "accountowner", "rep", "leadmanager"),
    "campaign": ("campaign", "campaignname", "utmcampaign", "marketingcampaign", "adcampaign",
                 "leadcampaign"),
}


def header_key(header: str) -> str:
    """Case-, space- and punctuation-insensitive form of a header: 'E-mail ' -> 'email'."""
    return re.sub(r"[^0-9a-z]", "", header.lower())[:120]


def _build_synonyms() -> dict[str, str]:
    table: dict[str, str] = {}
    for field, label in FIELDS:
        for spelling in (field, label, *_SYNONYMS.get(field, ())):
            table.setdefault(header_key(spelling), field)
    return table


SYNONYMS = _build_synonyms()


def remembered(keys: list[str]) -> dict[str, str]:
    """The field each header key was last mapped to (SKIP for columns the user skipped)."""
    if not keys:
        return {}
    rows = db.session.execute(select(ImportHeaderMapping.header_key, ImportHeaderMapping.field)
                              .where(ImportHeaderMapping.header_key.in_(keys)))
    labels = field_labels()
    return {key: field for key, field in rows if field in labels or field == SKIP}


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{column index: field} for every column: remembered choice, else synonym, else skipped.
    Each field is given to the first column that claims it."""
    keys = [header_key(header) for header in headers]
    memory = remembered([key for key in keys if key])
    custom = custom_columns.header_synonyms()
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for index, key in enumerate(keys):
        field = memory[key] if key in memory else SYNONYMS.get(key) or custom.get(key, SKIP)
        if field and field in taken:
            field = SKIP
        taken.add(field)
        mapping[str(index)] = field
    return mapping


def check_mapping(mapping: dict[str, str], has_default_source: bool,
                  match_keys: list[str]) -> dict[str, str]:
    """Problems with a chosen mapping, as {form field name: message}."""
    problems: dict[str, str] = {}
    used: dict[str, str] = {}
    labels = field_labels()
    for index, field in mapping.items():
        if field and field not in labels:
            problems[f"col-{index}"] = "Choose a lead field from the list."
        elif field and field in used:
            problems[f"col-{index}"] = (f"“{labels[field]}” is already taken by another "
                                        "column; each field can be filled from one column.")
        elif field:
            used[field] = index
    if "title" not in used:
        problems["mapping"] = "Map one column to Title: every lead needs a title."
    if "source" not in used and not has_default_source:
        problems["default_source"] = ("No column is mapped to Lead source: choose the source "
                                      "for these leads.")
    for key in match_keys:
        if key not in used:
            problems["match_keys"] = (f"Duplicates are matched by {key}, but no column is mapped "
                                      f"to {FIELD_LABELS[key]}.")
    return problems


def remember(headers: list[str], mapping: dict[str, str]) -> None:
    """Store each header's chosen field for next time; the caller commits."""
    chosen = {header_key(headers[int(index)]): field for index, field in mapping.items()
              if int(index) < len(headers) and header_key(headers[int(index)])}
    existing = {row.header_key: row for row in db.session.scalars(
        select(ImportHeaderMapping).where(ImportHeaderMapping.header_key.in_(list(chosen))))}
    for key, field in chosen.items():
        row = existing.get(key)
        if row is None:
            db.session.add(ImportHeaderMapping(header_key=key, field=field))
        elif row.field != field:
            row.field = field
            row.updated_at = utcnow()
