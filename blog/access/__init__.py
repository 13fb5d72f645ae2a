"""Who may write: API tokens (hashed, scoped), idempotency keys, operators, log redaction."""

from . import idempotency, operators, redact, tokens

__all__ = ["idempotency", "operators", "redact", "tokens"]
