"""Sentiment of what customers write (stories, survey comments), offline, in four languages.

:func:`sentiment_score` reads a text in English, German, French or Spanish with per-language
lexicons of customer-service words and phrases and a few rules (negation, intensifiers, "but"
clauses weighting the later clause, "still waiting" and "never came" kinds of complaint); for
English it also falls back to VADER's lexicon for words its own lexicons do not know, and in
every language to the distilled valences of ``distilled/`` (built by ``distil``). The language
comes from the caller when known (a survey answered in French), else from counting stop words.
No model run, no download, under a third of a millisecond of CPU a text.

``vader_score`` is the analyser used before (VADER's compound score, English only), kept as
the baseline of ``python -m bench.sentiment``.
"""

from feedback.sentiment.analyser import (
    LANGUAGES,
    NEGATIVE_TO,
    POSITIVE_FROM,
    detect_language,
    sentiment_label,
    sentiment_score,
    vader_score,
)

__all__ = [
    "LANGUAGES",
    "NEGATIVE_TO",
    "POSITIVE_FROM",
    "detect_language",
    "sentiment_label",
    "sentiment_score",
    "vader_score",
]
