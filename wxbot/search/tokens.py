"""Turn text into index tokens and follower queries into terms: CJK bigrams, Latin words.

Every run of CJK ideographs becomes its overlapping character pairs (数据要素 → 数据 据要 要素),
so any word of two or more characters is found wherever it stands — 中心 inside 数据中心,
正义 inside 孙正义 — without a dictionary, and a longer word is a phrase of its pairs. Letters
and digits become lower-case words, so AI, 5G and OpenAI match case-insensitively. A run that
ends at punctuation or a space also gives its last character alone, so a one-character query
(a prefix of the pairs it starts, or that last character) finds it too.

Measured on 3,650 recombined issues (``bench/callback.py --measure-index``): pairs tokenise
at ~0.7 ms an issue against ~5.5 ms for jieba's search mode, which would hold ingest under
200 issues/s; FTS5's trigram tokenizer needs no tokenising but matches nothing under three
characters, and its LIKE fallback scans all text (20–45 ms).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from ..search_rows import Phrase, Term

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_RUN = re.compile(rf"([{_CJK}]+)|([0-9a-z]+)")
#: What separates a follower's words: spaces and punctuation (letters, digits and CJK do not).
_SEPARATOR = re.compile(rf"[^0-9a-z{_CJK}]+")

#: Longest query taken, in characters; longer messages are cut.
MAX_QUERY_CHARS = 64
#: Most words a query is split into.
MAX_TERMS = 8


def normalize(text: str) -> str:
    """Return ``text`` in NFKC (full-width letters and digits folded), lower-cased and trimmed."""
    return unicodedata.normalize("NFKC", text).lower().strip()


def index_tokens(text: str) -> str:
    """Return the space-separated tokens the search index stores for ``text``."""
    folded = unicodedata.normalize("NFKC", text).lower()
    out: list[str] = []
    for match in _RUN.finditer(folded):
        cjk = match.group(1)
        if cjk is None:
            out.append(match.group(2))
        elif len(cjk) == 1:
            out.append(cjk)
        else:
            out.extend(cjk[i : i + 2] for i in range(len(cjk) - 1))
            # The last character alone, unless a Latin word follows at once: a phrase that
            # runs on into that word ("芯片AI") must find the pair and the word adjacent.
            follower = folded[match.end() : match.end() + 1]
            if not (follower.isascii() and follower.isalnum()):
                out.append(cjk[-1])
    return " ".join(out)


def phrase_of(word: str) -> Phrase | None:
    """Return the phrase that finds ``word`` in indexed text, or None when it has no tokens."""
    tokens: list[str] = []
    runs = list(_RUN.finditer(normalize(word)))
    for match in runs:
        cjk = match.group(1)
        if cjk is None:
            tokens.append(match.group(2))
        elif len(cjk) == 1:
            tokens.append(cjk)
        else:
            tokens.extend(cjk[i : i + 2] for i in range(len(cjk) - 1))
    if not tokens:
        return None
    last = runs[-1].group(1)
    return Phrase(tuple(tokens), prefix=last is not None and len(last) == 1)


def split_words(query: str) -> list[str]:
    """Return the words of a follower's query: split at spaces and punctuation, deduplicated."""
    text = normalize(query)[:MAX_QUERY_CHARS]
    words = [w for w in _SEPARATOR.split(text) if w]
    return list(dict.fromkeys(words))[:MAX_TERMS]


def is_cjk_word(word: str) -> bool:
    """Return whether ``word`` is ideographs only."""
    return bool(re.fullmatch(rf"[{_CJK}]+", word))


class Synonyms:
    """Groups of interchangeable words (AI ↔ 人工智能), looked up by their normalised form."""

    def __init__(self, groups: Iterable[Sequence[str]]) -> None:
        self._groups: dict[str, tuple[str, ...]] = {}
        for group in groups:
            members = tuple(dict.fromkeys(normalize(str(w)) for w in group if str(w).strip()))
            for member in members:
                known = self._groups.get(member, ())
                self._groups[member] = tuple(dict.fromkeys(known + members))

    def of(self, word: str) -> tuple[str, ...]:
        """Return ``word`` and every synonym of it, ``word`` first."""
        key = normalize(word)
        return tuple(dict.fromkeys((key, *self._groups.get(key, ()))))


def make_terms(words: Iterable[str], synonyms: Synonyms) -> list[Term]:
    """Return a term per word that has tokens, each with its synonyms' phrases."""
    terms: list[Term] = []
    for word in words:
        phrases = [p for w in synonyms.of(word) if (p := phrase_of(w)) is not None]
        if phrases:
            terms.append(Term(word, tuple(dict.fromkeys(phrases))))
    return terms


def needles(term: Term, synonyms: Synonyms) -> tuple[str, ...]:
    """Return the lower-cased strings to look for in raw text when cutting a snippet."""
    return tuple(w for w in synonyms.of(term.text) if w)
