"""The lexicon-and-rules analyser (see the package docstring); the lexicons are in ``lexicons``.

How a text is scored:

1. Lower-case words and clause marks (``, . ; : ! ?``); French elisions split (``n'est`` →
   ``n`` ``est``).
2. Each word or phrase found in the language's lexicon adds its valence (about −3…+3);
   phrases win over the words inside them. A word ending in ``*`` in a lexicon matches every
   word it starts (``enttäusch*``: enttäuscht, enttäuschend).
3. A negator (not, nie, pas, nunca …) up to three words before a valenced word, in the same
   clause, turns it round at ¾ strength ("not happy" is negative, "no problem" positive).
   A negated *expected event* ("never came", "kam nie an", "n'est jamais arrivé", "nadie
   contesta") is a complaint on its own.
4. An intensifier just before a valenced word scales it up, a softener down.
5. With a "but" (but, aber, mais, pero …) what follows counts 1½ times, what precedes ½.
6. The sum is squashed into −1…1 like VADER's compound score, so the labels keep its
   cut-offs (±0.05) and the stored scores keep their meaning for the rollups.

Thread-safe: nothing is built per call but lists local to the call.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from feedback.sentiment import lexicons

LANGUAGES = ("en", "de", "fr", "es")

# VADER's usual cut-offs for calling a compound score positive or negative (kept: the
# story_sentiment measure and the rollups count "not negative" as ≥ −0.05).
POSITIVE_FROM = 0.05
NEGATIVE_TO = -0.05

NEGATION_SCALE = -0.75
NEGATION_WINDOW = 3
EXPECTED_EVENT_MISSED = -2.0
INTENSIFIER_SCALE = 1.3
SOFTENER_SCALE = 0.6
BEFORE_BUT = 0.5
AFTER_BUT = 1.5
# VADER's valences run −4…4, ours −3…3 and denser: English words only VADER knows count ½.
VADER_WEIGHT = 0.5
# VADER's own normalisation constant (x / √(x² + 15)): a score keeps about VADER's strength, so
# thresholds set on it (the tenant's "very negative story" for escalation proposals, −0.6 by
# default) still mean a strong complaint, not any complaint.
SQUASH = 15.0

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|[,.;:!?…]")
_CLAUSE_MARKS = frozenset(",.;:!?…")
# A negator after an expected event negates it only within the same clause ("kamen frisch an
# und es fehlte nichts": nothing was missing, they did come).
_CONJUNCTIONS = frozenset(("und", "oder", "and", "or", "et", "ou", "y", "e", "o"))
# Valences of the words no lexicon knows, distilled from a multilingual model (``distil``).
_DISTILLED = Path(__file__).resolve().parent / "distilled"
_vader = SentimentIntensityAnalyzer()
_VADER_LEXICON: dict[str, float] = _vader.lexicon


class _Lexicon:
    """One language's lexicon, compiled: exact words, word stems by length, and phrases."""

    def __init__(self, spec: lexicons.LanguageLexicon) -> None:
        self.words: dict[str, float] = {}
        self.stems: dict[int, dict[str, float]] = {}
        self.phrases: dict[str, list[tuple[tuple[str, ...], float]]] = {}
        for entry, valence in spec.valences.items():
            parts = tuple(entry.split())
            if len(parts) > 1:
                self.phrases.setdefault(parts[0], []).append((parts, valence))
            elif entry.endswith("*"):
                self.stems.setdefault(len(entry) - 1, {})[entry[:-1]] = valence
            else:
                self.words[entry] = valence
        for candidates in self.phrases.values():
            candidates.sort(key=lambda item: -len(item[0]))
        self.stem_lengths = sorted(self.stems, reverse=True)
        self.negators = _Matcher(spec.negators)
        self.expected = _Matcher(spec.expected_events)
        self.intensifiers = _Matcher(spec.intensifiers)
        self.softeners = _Matcher(spec.softeners)
        self.contrasts = frozenset(spec.contrasts)
        self.questions = tuple(spec.complaint_questions)
        self.negator_follows = spec.negator_follows
        self.distilled: dict[str, float] = {}

    def add_distilled(self, path: Path, *, skip: frozenset[str]) -> None:
        """Read the distilled valences of ``path``, but for the words this lexicon reads
        itself (valences, negators, expected events) and the words of rules (``skip``)."""
        if not path.exists():
            return
        for line in path.read_text(encoding="utf-8").splitlines():
            word, _, value = line.partition("\t")
            if word in skip or self.knows(word) or word in self.intensifiers or word in self.softeners:
                continue
            self.distilled[word] = float(value)

    def valence(self, word: str) -> float | None:
        if word in self.words:
            return self.words[word]
        for length in self.stem_lengths:
            if len(word) >= length and (value := self.stems[length].get(word[:length])) is not None:
                return value
        return None

    def knows(self, word: str) -> bool:
        return bool(self.valence(word)) or word in self.negators or word in self.expected

    def phrase_at(self, tokens: list[str], i: int) -> tuple[int, float] | None:
        for parts, valence in self.phrases.get(tokens[i], ()):
            end = i + len(parts)
            if end <= len(tokens) and all(
                _matches(p, t) for p, t in zip(parts[1:], tokens[i + 1 : end], strict=True)
            ):
                return len(parts), valence
        return None


class _Matcher:
    """A set of words where an entry ending in ``*`` matches every word it starts."""

    def __init__(self, entries: Iterable[str]) -> None:
        entries = list(entries)
        self.exact = frozenset(e for e in entries if not e.endswith("*"))
        self.stems = tuple(e[:-1] for e in entries if e.endswith("*"))

    def __contains__(self, word: str) -> bool:
        return word in self.exact or (bool(self.stems) and word.startswith(self.stems))


def _matches(pattern: str, word: str) -> bool:
    return word.startswith(pattern[:-1]) if pattern.endswith("*") else word == pattern


_LEXICONS = {language: _Lexicon(spec) for language, spec in lexicons.LEXICONS.items()}
_STOP_WORDS = {language: frozenset(words) for language, words in lexicons.STOP_WORDS.items()}
for _language, _lex in _LEXICONS.items():
    _lex.add_distilled(
        _DISTILLED / f"{_language}.tsv",
        skip=_STOP_WORDS[_language]
        | _lex.contrasts
        | (_VADER_LEXICON.keys() if _language == "en" else frozenset()),
    )
_LETTER_HINTS = {"de": "äöüß", "fr": "èêàçœùâîû", "es": "ñ¿¡áíóú"}


def tokens_of(text: str, language: str) -> list[str]:
    text = text.lower().replace("’", "'").replace("´", "'")
    words = _WORD.findall(text)
    if language != "fr":
        return words
    split: list[str] = []
    for word in words:
        head, quote, tail = word.partition("'")
        if quote and len(head) <= 5 and tail:  # l'étiquette, n'est, qu'avant, jusqu'à
            split.extend((head, tail))
        else:
            split.append(word)
    return split


def detect_language(text: str) -> str:
    """The most likely of :data:`LANGUAGES`; English when nothing tells.

    Counts, per language, the words that are its stop words or in its lexicon, and its
    telling letters (ß, ñ, ç …): cheap, and right for a sentence or two of feedback.
    """
    lowered = text.lower()
    words = re.findall(r"[^\W\d_]+", lowered.replace("'", " ").replace("’", " "))
    best, best_count = "en", 0.0
    for language in LANGUAGES:
        stop, lex = _STOP_WORDS[language], _LEXICONS[language]
        count = sum(1 for w in words if w in stop) + 0.75 * sum(1 for w in words if lex.knows(w))
        count += sum(1 for ch in _LETTER_HINTS.get(language, "") if ch in lowered)
        if count > best_count:
            best, best_count = language, count
    return best


def sentiment_score(text: str, language: str | None = None) -> float:
    """From −1 (most negative) to 1 (most positive); 0 for neutral or empty text.

    ``language`` (``en``, ``de``, ``fr``, ``es``, or a tag such as ``de-AT``) when the caller
    knows it; otherwise it is detected. Any other language is read with the English rules.
    """
    text = (text or "").strip()
    if not text:
        return 0.0
    code = (language or "").lower()[:2]
    if code not in _LEXICONS:
        code = detect_language(text)
    lex = _LEXICONS[code]
    total = _raw_score(tokens_of(text, code), lex, english=code == "en")
    # "Why does a new card take ten days?": in feedback, a why-question is a complaint.
    if "?" in text and text.lower().lstrip("¿¡ ").startswith(lex.questions):
        total += lexicons.COMPLAINT_QUESTION
    return round(total / math.sqrt(total * total + SQUASH), 4)


def _raw_score(tokens: list[str], lex: _Lexicon, *, english: bool) -> float:
    items: list[list] = []  # [position, valence, whether negation is already read into it]
    negators: list[int] = []
    expected: list[int] = []
    i = 0
    while i < len(tokens):
        word = tokens[i]
        if word in lex.negators or (english and word.endswith("n't")):
            negators.append(i)
        if (found := lex.phrase_at(tokens, i)) is not None:
            length, valence = found
            # A phrase that starts negated ("sin ningún problema", "no surprises") is read as a
            # whole: a negator before it is concord (Spanish, French), not a second negation.
            items.append([i, valence, word in lex.negators])
            # Negators inside a phrase ("still not", "immer noch kein") still reach the words after it.
            negators.extend(j for j in range(i + 1, i + length) if tokens[j] in lex.negators)
            i += length
            continue
        valence = lex.valence(word)
        if valence is None and english:
            vader = _VADER_LEXICON.get(word)
            valence = vader * VADER_WEIGHT if vader is not None else None
        if valence is None:
            valence = lex.distilled.get(word)
        if valence:
            items.append([i, valence, False])
        elif word in lex.expected:
            expected.append(i)
        i += 1

    def clause_between(start: int, end: int) -> bool:
        return any(tokens[k] in _CLAUSE_MARKS for k in range(start, end))

    def negated(position: int, *, both_ways: bool) -> bool:
        for n in negators:
            if n == position:
                continue
            if n < position and position - n <= NEGATION_WINDOW and not clause_between(n, position):
                return True
            if (
                both_ways
                and 0 < n - position <= NEGATION_WINDOW
                and not clause_between(position, n)
                and not any(tokens[k] in _CONJUNCTIONS for k in range(position, n))
            ):
                return True
        return False

    for item in items:
        position = item[0]
        if not item[2] and negated(position, both_ways=False):
            item[1] *= NEGATION_SCALE
        before = tokens[position - 1] if position > 0 else ""
        if before in lex.intensifiers or (position > 1 and tokens[position - 2] in lex.intensifiers):
            item[1] *= INTENSIFIER_SCALE
        elif before in lex.softeners:
            item[1] *= SOFTENER_SCALE
    # A negated expected event (it never came, nobody answered) is a complaint by itself;
    # German puts the negator after the verb too ("kam nie an"), within its own clause.
    for position in expected:
        if negated(position, both_ways=lex.negator_follows):
            items.append([position, EXPECTED_EVENT_MISSED, True])

    contrast = max((k for k, t in enumerate(tokens) if t in lex.contrasts), default=None)
    total = 0.0
    for position, valence, _ in items:
        if contrast is not None:
            valence *= AFTER_BUT if position > contrast else BEFORE_BUT
        total += valence
    return total


def sentiment_label(score: float) -> str:
    if score >= POSITIVE_FROM:
        return "positive"
    if score <= NEGATIVE_TO:
        return "negative"
    return "neutral"


def vader_score(text: str) -> float:
    """The analyser used before this one: VADER's compound score (English only)."""
    return float(_vader.polarity_scores(text or "")["compound"])
