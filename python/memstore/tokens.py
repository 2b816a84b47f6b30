"""Tokenizer and ranking shared by the worker (indexing) and the API (queries).

Both sides must agree on what a token is, so there is exactly one definition.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)

# Bounds the size of a memory_index row and of a query array.
MAX_TOKENS = 1000


def tokenize(text: str) -> list[str]:
    """Distinct lowercase word tokens in order of first appearance."""
    seen: dict[str, None] = {}
    for match in _WORD.finditer(text.casefold()):
        seen.setdefault(match.group(0), None)
        if len(seen) >= MAX_TOKENS:
            break
    return list(seen)


def overlap_score(matched: int, query_size: int) -> float:
    """Fraction of distinct query tokens a memory contains (0.0 .. 1.0).

    The database counts the matches (it ranks by them); this turns the count into the score
    clients see, so ranking by count and by score agree.
    """
    if query_size <= 0:
        return 0.0
    return round(min(matched, query_size) / query_size, 4)
