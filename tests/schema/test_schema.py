"""The declarations of editable entities: what forms, import, export and validation read."""

from __future__ import annotations

import pytest

from kam import schema
from kam.dialogs.form import form_fields
from kam.files import exports, imports
from kam.services.accounts.account_edit import ACCOUNT_FIELDS
from kam.services.history.edits import FormReader
from kam.services.people.contacts import CONTACT_FIELDS


@pytest.mark.parametrize("entity", schema.ENTITIES.values(), ids=lambda e: e.name)
def test_every_declared_attribute_is_a_column_of_the_model(entity):
    columns = set(entity.model.__table__.c.keys())
    for f in entity.fields:
        assert f.attr is None or f.attr in columns, (entity.name, f.name)


@pytest.mark.parametrize("entity", schema.ENTITIES.values(), ids=lambda e: e.name)
def test_export_writes_what_import_reads(entity):
    assert exports.header(entity.name) == entity.export_header
    readable = {f.name for f in imports.SPECS[entity.name]}
    assert set(entity.export_header) <= readable


def test_limits_come_from_the_model_columns():
    assert schema.CONTACT["name"].limit == 120
    assert schema.CONTACT["phone"].limit == 60
    assert schema.DEAL["next_step"].limit == 300
    raw = {"name": "x" * 121}
    r = FormReader(raw)
    r.value(schema.CONTACT["name"])
    assert r.errors == {"name": "at most 120 characters (this has 121)"}


def test_forms_and_services_read_the_same_fields_in_the_same_order():
    assert [s.key for s in form_fields(schema.ACCOUNT)] == list(ACCOUNT_FIELDS)
    assert [s.key for s in form_fields(schema.CONTACT)] == list(CONTACT_FIELDS)
    labels = {s.key: s.label for s in form_fields(schema.CONTACT)}
    assert labels["owner_id"] == "Known best by"


def test_a_declared_default_fills_a_blank_choice_and_no_blank_choice_has_no_blank():
    r = FormReader({"attitude": ""})
    assert r.value(schema.CONTACT["attitude"]).value == "neutral"
    by_key = {s.key: s for s in form_fields(schema.CONTACT)}
    assert by_key["attitude"].required and not by_key["buying_role"].required


def test_a_field_is_found_by_its_form_key_attribute_or_file_column():
    f = schema.DEAL["probability_override"]
    assert f is schema.DEAL["probability"]
    assert f.attr == "probability"
    with pytest.raises(KeyError):
        schema.DEAL["nothing"]
