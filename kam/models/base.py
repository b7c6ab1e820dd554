"""Shared column types and mixins for every table."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

# Validators are built when a model first validates, not when its class is defined: most
# never do (table rows are built from the database), and building them all at import
# would slow every start.
SQLModel.model_config["defer_build"] = True

# Stable constraint names: Alembic's batch mode on SQLite recreates tables and needs them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A moment in UTC. SQLite keeps no offset, so values are normalised on the way in and out."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("moments must carry a time zone (use UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_type(enum: type[StrEnum], name: str) -> sa.Enum:
    """A VARCHAR with a CHECK constraint, portable between SQLite and PostgreSQL."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum) + 4,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def enum_field(enum: type[StrEnum], name: str, **kwargs: Any) -> Any:
    nullable = kwargs.pop("nullable", False)
    return Field(sa_type=enum_type(enum, name), nullable=nullable, **kwargs)


def money_field(**kwargs: Any) -> Any:
    """Money in integer minor units of the reporting currency (cents): sums stay exact."""
    return Field(sa_type=sa.BigInteger, **kwargs)


def moment_field(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def fk(
    target: str, *, ondelete: str = "CASCADE", nullable: bool = False, index: bool = True
) -> Any:
    """A reference to another row; optional references default to None."""
    extra: dict[str, Any] = {"default": None} if nullable else {}
    return Field(foreign_key=target, ondelete=ondelete, nullable=nullable, index=index, **extra)


class Entity(SQLModel):
    """A row with a UUID key, so rows written offline on two laptops never collide."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)


class Edited(Entity):
    """A row people edit: timestamps, and a version counter that turns a lost update into a
    conflict (SQLAlchemy raises StaleDataError when the row moved on since it was read)."""

    created_at: datetime = moment_field(default_factory=utcnow, nullable=False)
    updated_at: datetime = moment_field(
        default_factory=utcnow, nullable=False, sa_column_kwargs={"onupdate": utcnow}
    )
    version: int = Field(default=1, nullable=False)

    @declared_attr  # type: ignore[misc]
    def __mapper_args__(cls) -> dict[str, Any]:
        table = getattr(cls, "__table__", None)
        return {"version_id_col": table.c.version} if table is not None else {}
