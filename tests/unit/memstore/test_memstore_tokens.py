"""Tokenizer and score: the one definition shared by indexing and recall."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from memstore.tokens import MAX_TOKENS, overlap_score, tokenize


def test_lowercase_distinct_words_in_order() -> None:
    assert tokenize("The quick brown Fox, the FOX!") == ["the", "quick", "brown", "fox"]


def test_punctuation_and_unicode() -> None:
    assert tokenize("Straße -- café_au_lait; 42 x2") == ["strasse", "café_au_lait", "42", "x2"]
    assert tokenize("   ...!!! ") == []


def test_token_cap() -> None:
    assert len(tokenize(" ".join(f"w{i}" for i in range(MAX_TOKENS + 50)))) == MAX_TOKENS


@given(st.text(max_size=300))
def test_tokens_are_normalised_and_unique(text: str) -> None:
    tokens = tokenize(text)
    assert len(tokens) == len(set(tokens))
    assert all(t and t == t.casefold() for t in tokens)
    # Tokenizing is idempotent on its own output: the query side sees the same tokens.
    assert tokenize(" ".join(tokens)) == tokens


def test_overlap_score() -> None:
    assert overlap_score(2, 2) == 1.0
    assert overlap_score(1, 3) == 0.3333
    assert overlap_score(0, 3) == 0.0
    assert overlap_score(1, 0) == 0.0
    assert overlap_score(5, 2) == 1.0
