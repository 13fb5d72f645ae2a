"""A line diff of two markdown sources (difflib), grouped into hunks with a little context."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

CONTEXT = 3  # unchanged lines shown around each change
MAX_LINES = 20_000  # past this many lines per side, only the counts are compared


@dataclass(frozen=True)
class Line:
    """One line of a diff: kept, removed or added, with its numbers on either side."""

    kind: str  # "kept", "removed" or "added"
    old: int | None  # line number in the older text (1-based), None for an added line
    new: int | None  # line number in the newer text, None for a removed line
    text: str


@dataclass(frozen=True)
class Diff:
    """The hunks of changed lines (each a list of Lines) and how many lines each side lost/won."""

    hunks: tuple[tuple[Line, ...], ...]
    removed: int
    added: int

    @property
    def same(self) -> bool:
        return not self.hunks


def line_diff(older: str, newer: str) -> Diff:
    """Compare two texts line by line; unchanged stretches beyond CONTEXT lines are left out."""
    old_lines = older.splitlines()[:MAX_LINES]
    new_lines = newer.splitlines()[:MAX_LINES]
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    hunks, removed, added = [], 0, 0
    for group in matcher.get_grouped_opcodes(CONTEXT):
        lines: list[Line] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [Line("kept", i + 1, j + 1, old_lines[i])
                          for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]  # fmt: skip
                continue
            lines += [Line("removed", i + 1, None, old_lines[i]) for i in range(i1, i2)]
            lines += [Line("added", None, j + 1, new_lines[j]) for j in range(j1, j2)]
            removed, added = removed + i2 - i1, added + j2 - j1
        if any(line.kind != "kept" for line in lines):
            hunks.append(tuple(lines))
    return Diff(tuple(hunks), removed, added)
