"""Who may write: API tokens (hashed, scoped), idempotency keys, and tokens kept out of logs."""

from . import idempotency, redact, tokens

__all__ = ["idempotency", "redact", "tokens"]
