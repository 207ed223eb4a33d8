"""The band beside a score: one word that never contradicts what is shown next to it.

A score alone would read "strong" at 93.68 while a third of the commitments behind it are not
met and customers say the promise is broken. So a band is derived from the score **and** the
facts shown beside it: the score's own band, lowered by every cap that applies
(``docs/scoring.md``, "Bands"). No number changes: the band is a word about the numbers.

Each band carries its reasons as sentences, which the pages show on hover or tap. Pure
functions, no database access: :mod:`metrics.dashboards` gathers the facts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Colour bands of a score, best first: (lowest score of the band, label, background colour).
# The colours are light enough for dark text (contrast ≥ 4.5:1); the label and the number
# always accompany the colour, so nothing depends on seeing it. Pages colour a band with its
# CSS class (``band_class``; the Content-Security-Policy forbids style attributes), whose rule
# in cxgov/static/cxgov/app.css carries the same colour.
SCORE_BANDS = (
    (90.0, "strong", "#b7e4c7"),
    (75.0, "good", "#d8f3dc"),
    (60.0, "fair", "#fff3bf"),
    (40.0, "weak", "#ffd8a8"),
    (0.0, "poor", "#ffc9c9"),
)
NO_SCORE_BAND = ("no data", "#e9ecef")
COLOURS = {label: colour for _lowest, label, colour in SCORE_BANDS}
# Best first, as in SCORE_BANDS: a lower rank is a better band.
RANK = {label: rank for rank, (_lowest, label, _colour) in enumerate(SCORE_BANDS)}

# The caps: whatever the score, a band is at most …
NOT_MET_CAP = "good"  # … "good" while a commitment is not met ("strong" = every one met)
DELIVERY_CAPS = ((50.0, "weak"), (75.0, "fair"))  # … "weak" under 50 % delivered, "fair" under 75 %
HIDDEN_BREACH_CAP = "fair"  # … "fair" while customers say the promise is broken
OPEN_BREACH_CAP = "good"  # … "good" while a breach event is open
TOO_FEW_CAP = "good"  # … "good" while part of the commitments has too few signals to count


def band_class(label: str) -> str:
    """The CSS class that colours a band on a page: ``band-no-data`` for "no data"."""
    return "band-" + label.replace(" ", "-")


def _score_label(score: float) -> str:
    for lowest, label, _colour in SCORE_BANDS:
        if score >= lowest:
            return label
    return SCORE_BANDS[-1][1]


def _range(label: str) -> str:
    upper = None
    for lowest, name, _colour in SCORE_BANDS:
        if name == label:
            if upper is None:
                return f"{lowest:g} and above"
            return f"{lowest:g} to under {upper:g}" if lowest else f"under {upper:g}"
        upper = lowest
    return ""


def _band(label: str) -> dict[str, Any]:
    colour = COLOURS.get(label, NO_SCORE_BAND[1])
    return {"label": label, "colour": colour, "css": band_class(label)}


def score_band(score: float | None) -> dict[str, Any]:
    """The band of ``score`` alone (the legend's scale), without the facts beside it."""
    return _band(NO_SCORE_BAND[0] if score is None else _score_label(score))


def score_legend() -> list[dict[str, str]]:
    bands = []
    upper = "100"
    for lowest, label, _colour in SCORE_BANDS:
        bands.append({**_band(label), "range": f"{lowest:g}–{upper}"})
        upper = f"<{lowest:g}"
    bands.append({**_band(NO_SCORE_BAND[0]), "range": "too few signals"})
    return bands


@dataclass(frozen=True)
class Facts:
    """What a page shows beside a score, as counts.

    ``subject`` words the sentences: ``commitment``, ``promise``, ``department``,
    ``touchpoint`` or ``tenant``. For a commitment, ``counted`` is 1 and ``not_met`` 1 or 0.
    """

    subject: str
    score: float | None
    delivery_rate: float | None = None
    counted: int = 0  # commitments with enough signals (in the score)
    not_met: int = 0  # … of which not met
    too_few: int = 0  # commitments with too few signals (left out of the score)
    hidden_breaches: tuple[str, ...] = ()  # titles of the promises flagged hidden breach
    open_breaches: int = 0  # breach events neither cleared nor resolved by their escalation


def _n(value: float) -> str:
    return f"{value:.2f}"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _caps(facts: Facts) -> list[tuple[str, str]]:
    """(the band it caps at, why) for every fact beside the score that caps it."""
    caps = []
    if facts.not_met:
        if facts.subject == "commitment":
            why = "It is not met: “strong” needs the target reached, so at most “good”."
        else:
            verb = "is" if facts.not_met == 1 else "are"
            why = (
                f"{facts.not_met} of the {_count(facts.counted, 'commitment', 'commitments')} {verb} not met: "
                "“strong” needs every commitment met, so at most “good”."
            )
        caps.append((NOT_MET_CAP, why))
    if facts.delivery_rate is not None and facts.subject != "commitment":
        for below, cap in DELIVERY_CAPS:
            if facts.delivery_rate < below:
                caps.append(
                    (
                        cap,
                        f"The delivery rate is {_n(facts.delivery_rate)} %, under {below:g} %: "
                        f"at most “{cap}”.",
                    )
                )
                break
    if facts.hidden_breaches:
        if facts.subject == "promise":
            why = "Hidden breach: operations say it is kept, customers say it is not, so at most “fair”."
        else:
            titles = ", ".join(facts.hidden_breaches)
            has = "has" if len(facts.hidden_breaches) == 1 else "have"
            promises = _count(len(facts.hidden_breaches), "promise", "promises")
            why = f"{promises} {has} a hidden breach ({titles}): at most “fair”."
        caps.append((HIDDEN_BREACH_CAP, why))
    if facts.open_breaches:
        open_ = facts.open_breaches
        events = _count(open_, "breach event is", "breach events are")
        until = "it is" if open_ == 1 else "they are"
        caps.append((OPEN_BREACH_CAP, f"{events} open: at most “good” until {until} resolved."))
    if facts.too_few and facts.score is not None:
        total = _count(facts.counted + facts.too_few, "commitment", "commitments")
        has = "has" if facts.too_few == 1 else "have"
        caps.append(
            (
                TOO_FEW_CAP,
                f"{facts.too_few} of the {total} {has} too few signals to count: the score rests on "
                "the others, so at most “good”.",
            )
        )
    return caps


def band_of(facts: Facts, *, key: str) -> dict[str, Any]:
    """The band of a score with the facts beside it, and why, as sentences.

    ``key`` names the band on its page (unique there: the pages refer to the reasons by it).
    """
    if facts.score is None:
        reason = (
            "Too few signals to score it yet."
            if facts.subject in ("commitment", "promise", "touchpoint")
            else "No promise has a score yet."
        )
        return {**_band(NO_SCORE_BAND[0]), "id": f"band-{key}", "reasons": [reason], "lowered": False}
    alone = _score_label(facts.score)
    reasons = [f"A score of {_n(facts.score)} alone is “{alone}” ({_range(alone)})."]
    label = alone
    for cap, why in _caps(facts):
        if RANK[cap] > RANK[alone]:  # a cap lower than the score's own band
            reasons.append(why)
            if RANK[cap] > RANK[label]:
                label = cap
    if label == alone:
        reasons.append("Nothing shown beside it lowers it.")
    return {**_band(label), "id": f"band-{key}", "reasons": reasons, "lowered": label != alone}


@dataclass(frozen=True)
class CommitmentCounts:
    counted: int
    not_met: int
    too_few: int
    delivery_rate: float | None  # weighted share of the counted commitments that is met


def commitment_counts(commitments: Iterable[dict[str, Any]]) -> CommitmentCounts:
    """Counts over commitments of a score run (their ``status`` and ``weight``)."""
    counted = not_met = too_few = 0
    weight = met_weight = 0.0
    for c in commitments:
        if c["status"] == "insufficient_data":
            too_few += 1
            continue
        counted += 1
        weight += c["weight"]
        if c["status"] == "met":
            met_weight += c["weight"]
        else:
            not_met += 1
    delivery = round(100 * met_weight / weight, 2) if weight else None
    return CommitmentCounts(counted, not_met, too_few, delivery)
