"""Sentiment of a story: VADER's compound score (English; the lexicon ships with the package).

One analyzer per process: building it parses the lexicon (~7,500 entries), scoring a text
does not touch it again, so the module-level instance is shared (it keeps no per-call state).
"""

from __future__ import annotations

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

_analyzer = SentimentIntensityAnalyzer()


def sentiment_score(text: str) -> float:
    """From -1 (most negative) to 1 (most positive); 0 for neutral or empty text."""
    return float(_analyzer.polarity_scores(text or "")["compound"])


# VADER's usual cut-offs for calling a compound score positive or negative.
POSITIVE_FROM = 0.05
NEGATIVE_TO = -0.05


def sentiment_label(score: float) -> str:
    if score >= POSITIVE_FROM:
        return "positive"
    if score <= NEGATIVE_TO:
        return "negative"
    return "neutral"
