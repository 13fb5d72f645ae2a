"""Operators: create, list, disable, reset, and verify a sign-in (argon2id, no enumeration).

A password is hashed with argon2id (argon2-cffi's defaults, RFC 9106's second choice).
When those parameters change, the next successful sign-in re-hashes the password. An
unknown address costs the same hash check as a wrong password, so the time a refusal
takes says nothing about which addresses exist.
"""

from __future__ import annotations

import re
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update

from ..extensions import db, write_transaction
from ..models import Operator, utcnow
from . import audit
from .audit import Actor

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 hashes anything; a megabyte "password" is only a slow request
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")

hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Checked against when the address is unknown, so both refusals take one argon2 run.

    Made on first use: an argon2 hash takes ~0.2 s, which every start would pay otherwise.
    """
    return hasher.hash("not a password anyone has")


class OperatorError(ValueError):
    """An operator we refuse to create or change; the message says why."""


def normalize_email(email: str) -> str:
    """Return the address as it is stored: trimmed, lower-cased."""
    return email.strip().lower()


def check_new_password(password: str) -> None:
    """Refuse a password that is too short or too long."""
    if len(password) < MIN_PASSWORD:
        raise OperatorError(f"the password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise OperatorError(f"the password may have at most {MAX_PASSWORD} characters")


def find(email: str) -> Operator | None:
    """Return the operator with this address, disabled or not."""
    return db.session.scalar(select(Operator).where(Operator.email == normalize_email(email)))


def create(email: str, password: str) -> Operator:
    """Store a new operator with the hash of their password."""
    address = normalize_email(email)
    if not EMAIL_RE.match(address):
        raise OperatorError(f"{email!r} is not an e-mail address")
    check_new_password(password)
    if find(address) is not None:
        raise OperatorError(f"there is already an operator {address}")
    operator = Operator(email=address, password_hash=hasher.hash(password))
    with write_transaction():
        db.session.add(operator)
    return operator


def all_operators() -> list[Operator]:
    """Return every operator, oldest first."""
    return list(db.session.scalars(select(Operator).order_by(Operator.id)))


def disable(email: str) -> Operator | None:
    """Disable the operator and end their sessions; None if there is no such operator."""
    operator = find(email)
    if operator is None:
        return None
    with write_transaction():
        operator.disabled_at = operator.disabled_at or utcnow()
        operator.session_version += 1
    return operator


def reset_password(email: str, password: str) -> Operator | None:
    """Give the operator a new password and end their sessions; None if there is none."""
    check_new_password(password)
    operator = find(email)
    if operator is None:
        return None
    with write_transaction():
        operator.password_hash = hasher.hash(password)
        operator.session_version += 1
    return operator


def actor(operator: Operator, address: str = "") -> Actor:
    """Return the operator as the actor of a write."""
    return Actor(kind="operator", operator_id=operator.id, address=address, label=operator.email)


def check_password(email: str, password: str, address: str = "") -> Operator | None:
    """Verify a sign-in (audited); re-hash the password when the hash parameters changed."""
    dummy = _dummy_hash()  # made by the first check either way: it tells nothing about the address
    operator = find(email) if len(password) <= MAX_PASSWORD else None
    stored = operator.password_hash if operator is not None else dummy
    try:
        hasher.verify(stored, password[:MAX_PASSWORD])
        accepted = operator is not None and operator.disabled_at is None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        accepted = False
    if operator is None or not accepted:
        with write_transaction():
            who = Actor(kind="operator", address=address, label=normalize_email(email)[:320])
            audit.record(who, "operator.sign_in_failed", normalize_email(email)[:320])
        return None
    with write_transaction():
        if hasher.check_needs_rehash(operator.password_hash):
            operator.password_hash = hasher.hash(password)
        operator.last_sign_in_at = utcnow()
        audit.record(actor(operator, address), "operator.signed_in", operator.email)
    return operator


def end_sessions(operator: Operator, address: str = "") -> None:
    """End every session of the operator (sign-out): their session id no longer matches."""
    operator_id = operator.id
    with write_transaction():
        audit.record(actor(operator, address), "operator.signed_out", operator.email)
        db.session.execute(
            update(Operator)
            .where(Operator.id == operator_id)
            .values(session_version=Operator.session_version + 1)
        )


def session_id(operator: Operator) -> str:
    """Return the id a session keeps for the operator: their id and session version."""
    return f"{operator.id}.{operator.session_version}"


def from_session_id(value: str) -> Operator | None:
    """Return the operator a session id names, if it is still current and enabled."""
    head, _, version = value.partition(".")
    if not (head.isdigit() and version.isdigit()):
        return None
    operator = db.session.get(Operator, int(head))
    if operator is None or operator.disabled_at is not None:
        return None
    return operator if operator.session_version == int(version) else None
