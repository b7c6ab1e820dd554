"""The contact plan as an iCalendar file (RFC 5545) that calendar programs import.

Each plan item is an all-day event on its due date; a recurring item carries its cadence as
a recurrence rule, so the calendar shows every later date too. An item moved off its
schedule (snoozed) is one event on the day it was moved to, and its series goes on from the
next date of the schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, Timezone, TimezoneStandard, vRecur

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
    if not rows:
        # RFC 5545 wants at least one component in a calendar: an empty plan gives the time
        # zone its dates would be in, so the file still imports (as a calendar with nothing).
        calendar.add_component(_utc_zone())
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
    # An update of the same item replaces its event in Outlook and Google: same UID, a higher
    # SEQUENCE, a later LAST-MODIFIED.
    event.add("sequence", max(row.version - 1, 0))
    if row.updated_at is not None:
        changed = row.updated_at
        changed = changed.replace(tzinfo=UTC) if changed.tzinfo is None else changed
        event.add("last-modified", changed.astimezone(UTC).replace(microsecond=0))
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


def _utc_zone() -> Timezone:
    zone = Timezone()
    zone.add("tzid", "UTC")
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", timedelta(0))
    standard.add("tzoffsetto", timedelta(0))
    standard.add("tzname", "UTC")
    zone.add_component(standard)
    return zone
