"""Intents: a service call with its arguments, run in the unit of work the service declares."""

from __future__ import annotations

import pytest

from kam.errors import KamError, ReadOnlyError
from kam.models import TeamMember
from kam.services.people import team
from kam.services.unit import Intent, reads, unit_of


def test_an_intent_refuses_a_function_that_does_not_say_its_unit_of_work():
    def undeclared(session):
        return None

    with pytest.raises(TypeError, match="does not declare its unit of work"):
        Intent(undeclared)


def test_a_write_intent_commits_and_a_read_sees_it(database):
    member = Intent(team.create_member, raw={"name": "Lena Park"}).run(database)
    names = [m.name for m in Intent(team.members).run(database)]
    assert unit_of(team.create_member) == "write"
    assert member.name in names


def test_a_failing_write_keeps_nothing(database):
    with pytest.raises(KamError):
        Intent(team.create_member, raw={"name": ""}).run(database)
    assert Intent(team.members).run(database) == []


def test_a_read_that_changes_data_fails_instead_of_losing_the_change(database):
    @reads
    def sneaky(session):
        session.add(TeamMember(name="Nobody"))
        session.flush()

    with pytest.raises(KamError, match="while only reading"):
        Intent(sneaky).run(database)
    assert Intent(team.members).run(database) == []


def test_a_write_on_a_read_only_database_is_refused_and_a_read_still_works(database):
    database.refuse_writes("opened read-only")
    with pytest.raises(ReadOnlyError):
        Intent(team.create_member, raw={"name": "Lena Park"}).run(database)
    assert Intent(team.members).run(database) == []


def test_also_adds_keywords_without_changing_the_intent():
    base = Intent(team.add_to_team, "account", user="kam")
    more = base.also(raw={"role": "sales"})
    assert base.kwargs == {"user": "kam"}
    assert more.kwargs == {"user": "kam", "raw": {"role": "sales"}}
    assert more.writes and not Intent(team.members).writes
