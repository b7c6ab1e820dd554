"""The contact plan as an iCalendar file (RFC 5545) that calendar programs import.

Each plan item is an all-day event on its due date; a recurring item carries its cadence as
a recurrence rule, so the calendar shows every later date too. An item moved off its
schedule (snoozed) is one event on the day it was moved to, and its series goes on from the
next date of the schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vRecur

from kam.services.contact_plan import cadence
from kam.services.contact_plan.agenda import AgendaRow
from kam.services.contact_plan.policies import words


def agenda_calendar(rows: list[AgendaRow], title: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//kam//key account contact plans//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", title)
    stamp = datetime.now(UTC).replace(microsecond=0)
    for row in rows:
        on_schedule = bool(row.rule) and (
            cadence.first_on_or_after(row.rule, row.starts_on, row.next_due) == row.next_due
        )
        if on_schedule:
            calendar.add_component(_event(row, row.next_due, stamp, recurring=True))
            continue
        calendar.add_component(_event(row, row.next_due, stamp, recurring=False))
        if row.rule:
            following = cadence.next_after(row.rule, row.starts_on, row.next_due)
            if following is not None:
                calendar.add_component(
                    _event(row, following, stamp, recurring=True, uid_suffix="-series")
                )
    return calendar.to_ical()


def _event(row: AgendaRow, day, stamp, *, recurring: bool, uid_suffix: str = "") -> Event:
    event = Event()
    event.add("uid", f"{row.id}{uid_suffix}@kam")
    event.add("dtstamp", stamp)
    with_whom = f" ({row.contact})" if row.contact else ""
    event.add("summary", f"{words(row.kind).capitalize()}: {row.account}{with_whom}")
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    lines = [f"Account: {row.account}", f"Cadence: {row.cadence}"]
    if row.owner:
        lines.append(f"Owner: {row.owner}")
    if row.note:
        lines.append(row.note)
    event.add("description", "\n".join(lines))
    event.add("categories", [words(row.kind)])
    if recurring:
        event.add("rrule", vRecur.from_ical(cadence.effective_rule(row.rule, row.starts_on)))
    return event
