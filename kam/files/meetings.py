"""Meetings from a calendar: an .ics file exported from Outlook or Google Calendar becomes
logged contacts, each matched to the account's contacts by attendee e-mail (or to an account
by the domain of its contacts' addresses), through the same write as the activity form, so a
plan item the meeting fulfils moves on."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from kam.files.tabular import FileProblem, read_bytes
from kam.models import Account, Activity, Contact, PlanItem, TeamMember
from kam.models.enums import ActivityKind

# Addresses anyone can have: their domain says nothing about the account.
FREE_MAIL = frozenset(
    "gmail.com googlemail.com outlook.com hotmail.com live.com yahoo.com icloud.com me.com "
    "aol.com gmx.de gmx.net web.de qq.com 163.com 126.com sina.com foxmail.com yeah.net".split()
)
ONLINE = ("teams.microsoft", "zoom.us", "meet.google", "webex", "腾讯会议", "meeting.tencent")
PLAN_WINDOW = timedelta(days=14)  # a plan item due up to this long after the meeting is met


@dataclass(frozen=True)
class Meeting:
    uid: str
    title: str
    day: date
    where: str  # location and description, to tell an online meeting
    emails: tuple[str, ...]  # attendees and organiser, lower case
    cancelled: bool = False


@dataclass
class Planned:
    meeting: Meeting
    account_id: uuid.UUID
    account: str
    kind: ActivityKind
    contact_ids: list[uuid.UUID]
    contacts: list[str]
    member_ids: list[uuid.UUID]
    plan_item_id: uuid.UUID | None


@dataclass
class MeetingPlan:
    source: str
    found: int = 0
    to_log: list[Planned] = field(default_factory=list)
    skipped: list[tuple[Meeting, str]] = field(default_factory=list)

    def describe(self, *, applied: bool = False) -> str:
        verb = "logged" if applied else "would log"
        lines = [
            f"{self.source}: {self.found:,} meetings: {verb} {len(self.to_log):,}, "
            f"left out {len(self.skipped):,}"
        ]
        for p in self.to_log:
            who = f" with {', '.join(p.contacts)}" if p.contacts else ""
            plan = "; a plan item moves on" if p.plan_item_id else ""
            lines.append(
                f"  {p.meeting.day} {p.account}: {p.kind.value.replace('_', ' ')} "
                f"{p.meeting.title!r}{who}{plan}"
            )
        reasons = Counter(reason for _, reason in self.skipped)
        for reason, count in reasons.most_common():
            lines.append(f"  left out: {count:,} {reason}")
        return "\n".join(lines)


def read_meetings(path: Path) -> list[Meeting]:
    """The events of an iCalendar file; a file that is not one is refused by name."""
    from icalendar import Calendar

    data = read_bytes(path)
    try:
        calendar = Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError) as exc:
        raise FileProblem(f"{path.name}: not an iCalendar file ({exc})") from None
    meetings = []
    for event in calendar.walk("VEVENT"):
        start = event.decoded("dtstart", None)
        if start is None:
            continue
        day = start.date() if isinstance(start, datetime) else start
        people = [event.get("organizer"), *_as_list(event.get("attendee"))]
        emails = tuple(
            dict.fromkeys(
                str(p).split(":", 1)[-1].strip().casefold()
                for p in people
                if p is not None and "@" in str(p)
            )
        )
        where = f"{event.get('location', '')} {event.get('description', '')}".casefold()
        meetings.append(
            Meeting(
                str(event.get("uid", "")),
                " ".join(str(event.get("summary", "")).split())[:200] or "(no title)",
                day,
                where,
                emails,
                str(event.get("status", "")).upper() == "CANCELLED",
            )
        )
    return meetings


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _kind(meeting: Meeting) -> ActivityKind:
    title = meeting.title.casefold()
    if "qbr" in title or "business review" in title:
        return ActivityKind.business_review
    if any(mark in meeting.where for mark in ONLINE):
        return ActivityKind.call
    return ActivityKind.visit


def plan_meetings(
    session: Session, path: Path, meetings: list[Meeting], as_of: date
) -> MeetingPlan:
    """Which meetings become contacts logged on which accounts, and why the others do not."""
    conn = session.connection()
    contact, acct, member = Contact.__table__, Account.__table__, TeamMember.__table__
    people: dict[str, tuple[uuid.UUID, uuid.UUID, str]] = {}
    domains: dict[str, set[uuid.UUID]] = {}
    names: dict[uuid.UUID, str] = {}
    rows = conn.execute(
        sa.select(contact.c.id, contact.c.account_id, contact.c.name, contact.c.email, acct.c.name)
        .join(acct, acct.c.id == contact.c.account_id)
        .where(contact.c.email.is_not(None), acct.c.archived_at.is_(None))
    )
    for ident, account_id, name, email, account in rows:
        address = email.strip().casefold()
        people.setdefault(address, (ident, account_id, name))
        names[account_id] = account
        domain = address.rpartition("@")[2]
        if domain and domain not in FREE_MAIL:
            domains.setdefault(domain, set()).add(account_id)
    team = {
        e.strip().casefold(): i
        for i, e in conn.execute(sa.select(member.c.id, member.c.email)).all()
        if e
    }
    plan = MeetingPlan(path.name, len(meetings))
    placed: list[tuple[Meeting, uuid.UUID, list]] = []
    for meeting in meetings:
        if meeting.cancelled:
            plan.skipped.append((meeting, "cancelled"))
            continue
        if meeting.day > as_of:
            plan.skipped.append((meeting, "not held yet"))
            continue
        matched = [people[e] for e in meeting.emails if e in people]
        if matched:
            account_id = Counter(a for _, a, _ in matched).most_common(1)[0][0]
        else:
            found = {
                a
                for e in meeting.emails
                for a in domains.get(e.rpartition("@")[2], ())
                if len(domains.get(e.rpartition("@")[2], ())) == 1
            }
            if len(found) != 1:
                plan.skipped.append((meeting, "with no contact or domain of an account"))
                continue
            account_id = found.pop()
        placed.append((meeting, account_id, matched))
    seen = _logged(session, placed)  # what kam holds already, read once for every meeting
    for meeting, account_id, matched in placed:
        key = (account_id, meeting.day, meeting.title)
        if key in seen:
            plan.skipped.append((meeting, "logged already"))
            continue
        seen.add(key)
        here = [(i, n) for i, a, n in matched if a == account_id]
        kind = _kind(meeting)
        plan.to_log.append(
            Planned(
                meeting,
                account_id,
                names[account_id],
                kind,
                [i for i, _ in here],
                [n for _, n in here],
                [team[e] for e in meeting.emails if e in team],
                _plan_item(session, account_id, kind, [i for i, _ in here], meeting.day),
            )
        )
    return plan


def _logged(session: Session, placed: list[tuple[Meeting, uuid.UUID, list]]) -> set[tuple]:
    """(account, day, title) of the activities kam holds for the accounts and days the
    meetings fall on."""
    if not placed:
        return set()
    activity = Activity.__table__
    days = [m.day for m, _, _ in placed]
    rows = session.connection().execute(
        sa.select(activity.c.account_id, activity.c.occurred_on, activity.c.summary).where(
            activity.c.account_id.in_({a for _, a, _ in placed}),
            activity.c.occurred_on.between(min(days), max(days)),
        )
    )
    return {tuple(r) for r in rows}


def _plan_item(
    session: Session,
    account_id: uuid.UUID,
    kind: ActivityKind,
    contact_ids: list[uuid.UUID],
    day: date,
) -> uuid.UUID | None:
    """The account's plan item of this kind the meeting fulfils: active, due by two weeks
    after it, with one of its contacts or none; the earliest due."""
    item = PlanItem.__table__
    who = item.c.contact_id.is_(None)
    if contact_ids:
        who = sa.or_(who, item.c.contact_id.in_(contact_ids))
    return (
        session.connection()
        .execute(
            sa.select(item.c.id)
            .where(
                item.c.account_id == account_id,
                item.c.active.is_(True),
                item.c.kind == kind.value,
                item.c.next_due <= day + PLAN_WINDOW,
                who,
            )
            .order_by(item.c.next_due)
            .limit(1)
        )
        .scalar()
    )


def log_meetings(session: Session, plan: MeetingPlan, user: str, as_of: date) -> int:
    """Log the planned meetings as contacts, in the caller's transaction."""
    from kam.services.contact_plan import activities

    for p in plan.to_log:
        raw = {
            "kind": p.kind.value,
            "occurred_on": p.meeting.day.isoformat(),
            "summary": p.meeting.title,
            "contact_ids": p.contact_ids,
            "member_ids": p.member_ids,
            "plan_item_id": p.plan_item_id or "",
        }
        activities.log_activity(session, p.account_id, raw, user, as_of)
    return len(plan.to_log)
