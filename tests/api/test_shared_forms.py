"""The money fields of the forms the pages and the API share: finite, 0 or more, and no more
than the Numeric(14, 2) columns hold."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from leadapp.companies.forms import ConvertForm, OpportunityForm
from leadapp.leads.forms import LeadForm, field_form

NOT_A_NUMBER = "Enter a number such as 1250.50."
TOO_BIG = "Enter at most 999,999,999,999.99."
BAD = [("NaN", NOT_A_NUMBER), ("sNaN", NOT_A_NUMBER), ("Infinity", NOT_A_NUMBER),
       ("-Infinity", NOT_A_NUMBER), ("1e400", TOO_BIG), ("1000000000000", TOO_BIG),
       ("-1", "Enter 0 or more.")]
FORMS = [(LeadForm, "budget"), (OpportunityForm, "amount"), (ConvertForm, "amount"),
         (field_form("money", "Budget"), "value")]


def _form(form_class: type, name: str, raw: str) -> Any:
    form = form_class(formdata=MultiDict({name: raw}), meta={"csrf": False})
    for field in form:
        if getattr(field, "choices", False) is None:  # selects the views fill in
            field.choices = []
    form.validate()
    return form


@pytest.mark.parametrize(("raw", "message"), BAD)
@pytest.mark.parametrize(("form_class", "name"), FORMS)
def test_money_fields_refuse_non_finite_and_huge_amounts(app: Flask, form_class: type,
                                                         name: str, raw: str,
                                                         message: str) -> None:
    with app.test_request_context():
        form = _form(form_class, name, raw)
        assert form[name].errors == [message]


@pytest.mark.parametrize(("form_class", "name"), FORMS)
def test_money_fields_accept_the_column_maximum(app: Flask, form_class: type, name: str) -> None:
    with app.test_request_context():
        form = _form(form_class, name, "999999999999.99")
        assert form[name].errors == []
