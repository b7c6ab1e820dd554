"""What kam holds already, read once per import: accounts by name, kam id and the other
system's id, contacts, deals, team members, so every row is matched without a query each."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kam.files.imports.cells import CellError
from kam.models import (
    Account,
    Region,
    TeamMember,
)
from kam.models.account import name_key

# --- looking up what kam holds --------------------------------------------------------------


class Lookup:
    """What kam holds that rows refer to, plus what this import creates before writing."""

    def __init__(self, session: Session, *, create_accounts: bool = False) -> None:
        self.session = session
        self.create_accounts = create_accounts
        self.new_accounts: dict[str, uuid.UUID] = {}  # name -> id, made with the import
        conn = session.connection()
        acct = Account.__table__
        self.account_by_key: dict[str, uuid.UUID] = {}
        self.account_by_ref: dict[str, uuid.UUID] = {}
        self.account_name: dict[uuid.UUID, str] = {}
        rows = conn.execute(
            sa.select(acct.c.id, acct.c.name, acct.c.name_key, acct.c.external_ref).where(
                acct.c.archived_at.is_(None)
            )
        )
        for ident, name, key, ref in rows:
            self.account_by_key[key] = ident
            self.account_name[ident] = name
            if ref:
                self.account_by_ref[ref.casefold()] = ident
        self.archived = set(
            conn.execute(sa.select(acct.c.id).where(acct.c.archived_at.is_not(None))).scalars()
        )
        member = TeamMember.__table__
        self.member_by_key: dict[str, uuid.UUID] = {}
        for ident, name, email in conn.execute(
            sa.select(member.c.id, member.c.name, member.c.email).order_by(member.c.created_at)
        ):
            self.member_by_key.setdefault(name.casefold(), ident)
            if email:
                self.member_by_key.setdefault(email.casefold(), ident)
        self.new_members: dict[str, uuid.UUID] = {}
        region = Region.__table__
        self.region_by_key: dict[str, uuid.UUID] = dict(
            conn.execute(sa.select(region.c.name_key, region.c.id)).all()
        )
        self.new_regions: dict[str, uuid.UUID] = {}
        self._parents: dict[uuid.UUID, uuid.UUID | None] | None = None
        # Contacts and deals this import writes, by (account, name as compared): rows of a
        # later kind (an activity) may name them before they are in the database.
        self.planned: dict[str, dict[tuple, uuid.UUID]] = {"contacts": {}, "deals": {}}
        self._named: dict[str, dict[tuple, uuid.UUID]] = {}

    def parent_of(self, account_id: uuid.UUID) -> uuid.UUID | None:
        """The group an account in kam is part of now (read once, when first asked)."""
        if self._parents is None:
            acct = Account.__table__
            self._parents = dict(
                self.session.connection()
                .execute(
                    sa.select(acct.c.id, acct.c.parent_id).where(acct.c.parent_id.is_not(None))
                )
                .all()
            )
        return self._parents.get(account_id)

    def named(self, kind: str, account_id: uuid.UUID, name: str) -> uuid.UUID | None:
        """A contact (`kind` "contacts", by name) or a deal ("deals", by title) of the
        account, case and spaces ignored, in kam or written by this import; each kind is read
        once, when first asked."""
        from kam.files.imports.cells import norm
        from kam.models import Contact, Opportunity

        if kind not in self._named:
            table, column = {
                "contacts": (Contact.__table__, "name"),
                "deals": (Opportunity.__table__, "title"),
            }[kind]
            found: dict[tuple, uuid.UUID] = {}
            for ident, account, text in self.session.connection().execute(
                sa.select(table.c.id, table.c.account_id, table.c[column])
            ):
                found.setdefault((account, norm(text)), ident)
            self._named[kind] = found
        key = (account_id, norm(name))
        return self.planned[kind].get(key) or self._named[kind].get(key)

    def member(self, name: str) -> uuid.UUID:
        key = name.casefold()
        found = self.member_by_key.get(key)
        if found is None:
            found = self.member_by_key[key] = uuid.uuid4()
            self.new_members[name] = found
        return found

    def region(self, name: str) -> uuid.UUID:
        """A region or territory by name; a new name is a new region, made with the import."""
        cleaned = " ".join(name.split())
        key = name_key(cleaned)
        found = self.region_by_key.get(key)
        if found is None:
            found = self.region_by_key[key] = uuid.uuid4()
            self.new_regions[cleaned] = found
        return found

    def account(self, values: dict[str, Any]) -> uuid.UUID:
        """The account a related row belongs to, by kam id, the other system's id or name."""
        ref = values.get("account_id")
        if ref:
            try:
                ident = uuid.UUID(ref)
            except ValueError:
                ident = self.account_by_ref.get(ref.casefold())
            if ident is None or ident not in self.account_name:
                where = "archived" if ident in self.archived else "not in kam"
                raise CellError(f"account {ref!r} is {where}")
            return ident
        name = values.get("account")
        if not name:
            raise CellError("the account is missing")
        try:
            ident = uuid.UUID(name)
            if ident in self.account_name:
                return ident
        except ValueError:
            pass
        key = name_key(name)
        found = self.account_by_key.get(key)
        if found is None and self.create_accounts and not ref:
            cleaned = " ".join(name.split())
            found = self.account_by_key[key] = uuid.uuid4()
            self.new_accounts[cleaned] = found
            self.account_name[found] = cleaned
        if found is None:
            hint = "" if self.create_accounts else " (--create-accounts makes it)"
            raise CellError(f"no account is named {name!r}{hint}")
        return found

    def existing(
        self, table: sa.Table, ids: Iterable[uuid.UUID], columns: Sequence[str]
    ) -> dict[uuid.UUID, dict[str, Any]]:
        """Rows of `table` with these ids, chunked so the IN list stays short."""
        found: dict[uuid.UUID, dict[str, Any]] = {}
        wanted = list(dict.fromkeys(ids))
        cols = [table.c.id, *(table.c[c] for c in columns)]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for row in self.session.connection().execute(
                sa.select(*cols).where(table.c.id.in_(chunk))
            ):
                found[row[0]] = dict(zip(columns, row[1:], strict=True))
        return found

    def by_accounts(
        self, table: sa.Table, account_ids: Iterable[uuid.UUID], columns: Sequence[str]
    ) -> Iterator[dict[str, Any]]:
        wanted = list(dict.fromkeys(account_ids))
        cols = [table.c.id, table.c.account_id, *(table.c[c] for c in columns)]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for row in self.session.connection().execute(
                sa.select(*cols).where(table.c.account_id.in_(chunk))
            ):
                yield dict(zip(["id", "account_id", *columns], row, strict=True))
