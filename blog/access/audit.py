"""Who did a write: the actor every posts operation is given (an operator, or a token)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who is writing: an operator (signed in, or at the command line) or an agent's token."""

    kind: str  # "operator", "token" or "cli"
    operator_id: int | None = None
    token_id: int | None = None
    author_id: int | None = None
    address: str = ""
    label: str = ""  # an operator's address or a token's name, for people to read

    @property
    def reviews(self) -> bool:
        """Tell whether this actor may make a review-policy author's post public."""
        return self.kind == "operator"
