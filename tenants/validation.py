"""One rule per kind of input value, shared by every entry point: web forms, API bodies, CSV
imports and query parameters.

Each ``*_problem`` function answers ``None`` for a good value, or one sentence saying what is
wrong and what to send instead; the caller attaches it to the field it read (a per-item error
in a batch, a form field message, a 400 for a query parameter). The rules exist because
PostgreSQL and Python each refuse some values only once it is too late to say which field
was wrong:

- a timestamp such as ``0001-01-01T00:00:00+14:00`` is stored as a date BC that Python cannot
  load again, which breaks every page listing it;
- NUL cannot be stored in a text or jsonb column, and an unpaired surrogate cannot be
  encoded at all;
- an integer past the column's range fails the whole insert (``bigint out of range``).

Lives in ``tenants``, the lowest layer, so every app can use it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from django.utils import timezone
from django.utils.dateparse import parse_datetime

# Nothing the product measures happened before this; an earlier date is a sender's bug
# (an empty date field turned into year 1, a two-digit year...).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
EARLIEST_TEXT = "2000-01-01"
# How far ahead of the server's clock a "when it happened" may be: clock skew, no more.
FUTURE_SKEW = timedelta(minutes=5)
FUTURE_SKEW_TEXT = "5 minutes"
# Query bounds (filters, history ranges) may lie in the future, but not past what every
# time zone can convert.
LATEST_BOUND = datetime(9999, 1, 1, tzinfo=UTC)

TEN_YEARS_SECONDS = 10 * 365 * 24 * 3600
SMALLINT_RANGE = (-(2**15), 2**15 - 1)
INTEGER_RANGE = (-(2**31), 2**31 - 1)
BIGINT_RANGE = (-(2**63), 2**63 - 1)

# Deeper JSON than this is refused before it is parsed: nothing in the API nests past a few
# levels, and Python's parser recurses once per level.
JSON_MAX_DEPTH = 32

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_TOKENS = re.compile(r'\\.|["\[\]{}]', re.DOTALL)
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_JSON_INNERMOST_PAIR = re.compile(r"\[\]|\{\}")
# A JSON text can only carry a surrogate code point as an escape (\ud800-\udfff): the decoded
# UTF-8 (or UTF-16) body refuses raw ones.
_JSON_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def text_problem(name: str, value: str, *, nul: bool = True) -> str | None:
    """NUL and unpaired surrogates: neither can be stored, so neither is accepted
    (``nul=False``: surrogates only). The message never quotes the value itself."""
    found = (_BAD_TEXT if nul else _SURROGATE).search(value)
    if found is None:
        return None
    where = found.start()
    if found.group() == "\x00":
        return (
            f"{name} contains a NUL character (at position {where}); remove it. "
            "It usually comes from a binary file or a broken export."
        )
    return (
        f"{name} contains an unpaired UTF-16 surrogate (at position {where}); send valid Unicode text "
        "(encode characters outside the Basic Multilingual Plane as a surrogate pair, or as UTF-8)."
    )


def parse_instant(value: str) -> datetime | None:
    """An ISO 8601 date and time, or None when it is not one (never raises)."""
    try:
        return parse_datetime(value.strip())
    except (ValueError, OverflowError):
        return None


def instant_problem(
    name: str, value: datetime, *, now: datetime | None = None, future: bool = False
) -> str | None:
    """A time zone, not before :data:`EARLIEST`, and not ahead of ``now`` by more than the clock
    skew (``future=True``: a query bound, which may lie in the future but within year 9998).

    Compares without converting ``value`` to another offset first: converting year 1 at +14:00
    to UTC is what overflows.
    """
    if timezone.is_naive(value):
        return f"{name} has no time zone; add one, e.g. 2026-03-01T14:30:00Z or +01:00."
    if value < EARLIEST:
        return (
            f"{name} {value.isoformat()} is before {EARLIEST_TEXT}; cxgov keeps nothing older. "
            f"Send when it really happened (from {EARLIEST_TEXT} on)."
        )
    if future:
        if value >= LATEST_BOUND:
            return f"{name} {value.isoformat()} is too far in the future; send a date before 9999."
        return None
    now = now or timezone.now()
    if value > now + FUTURE_SKEW:
        return (
            f"{name} {value.isoformat()} is in the future (more than {FUTURE_SKEW_TEXT} ahead of the "
            "server's clock); give the time it really happened, with the right time zone."
        )
    return None


def date_problem(name: str, value: date) -> str | None:
    """A calendar date used as a bound (filters): from :data:`EARLIEST` to the year 9998."""
    if value < EARLIEST.date():
        return f"{name} {value.isoformat()} is before {EARLIEST_TEXT}; pick a date from {EARLIEST_TEXT} on."
    if value >= LATEST_BOUND.date():
        return f"{name} {value.isoformat()} is too far in the future; pick a date before 9999."
    return None


def integer_problem(name: str, value: int, *, low: int, high: int, unit: str = "") -> str | None:
    """Inside ``low``…``high`` (the business range, itself inside the column's range)."""
    if low <= value <= high:
        return None
    shown = str(value) if len(str(value)) <= 24 else f"a {len(str(abs(value)))}-digit number"
    suffix = f" {unit}" if unit else ""
    return f"{name} is {shown}{suffix}; it must be between {low} and {high}{suffix}."


def duration_problem(name: str, value: int) -> str | None:
    """A duration in seconds: not negative, at most ten years."""
    if value < 0:
        return f"{name} is {value}; a duration cannot be negative."
    if value > TEN_YEARS_SECONDS:
        shown = str(value) if len(str(value)) <= 24 else f"a {len(str(value))}-digit number"
        return (
            f"{name} is {shown} seconds, more than ten years ({TEN_YEARS_SECONDS} s); "
            "send the duration in seconds, e.g. 86400 for one day."
        )
    return None


def decimal_problem(name: str, value: Decimal, *, max_digits: int, places: int) -> str | None:
    """A finite decimal number that a ``numeric(max_digits, places)`` column holds exactly: at
    most ``places`` decimal places (never rounded silently) and below ``10 ** (max_digits − places)``."""
    if not value.is_finite():
        return f"{name} must be a number."
    limit = Decimal(10) ** (max_digits - places)
    if abs(value) >= limit:
        return f"{name} is {value:.3e}; it must lie strictly between −{limit} and {limit}."
    if value.as_tuple().exponent < -places and value != value.quantize(Decimal(1).scaleb(-places)):
        return f"{name} {value} has more than {places} decimal places; round it to at most {places}."
    return None


def json_depth_exceeds(text: str, limit: int = JSON_MAX_DEPTH) -> bool:
    """Whether the JSON ``text`` nests arrays/objects deeper than ``limit``.

    A linear scan over the structural characters only (string contents and escapes are
    skipped), run before the parser so that a body of thousands of ``[`` is refused
    without recursing.
    """
    # Fast path, in C: drop the strings, keep the brackets, and strip innermost pairs once per
    # level. A well-formed body of depth d is empty after d passes; anything left after
    # ``limit`` passes (too deep, or unbalanced) goes to the exact scan below.
    skeleton = _JSON_NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    for _ in range(limit):
        if not skeleton:
            return False
        skeleton, removed = _JSON_INNERMOST_PAIR.subn("", skeleton)
        if not removed:
            break
    if not skeleton:
        return False
    depth = 0
    in_string = False
    for token in _JSON_TOKENS.finditer(text):
        char = token.group()
        if char[0] == "\\":
            continue  # an escape inside a string: \" does not end it
        if char == '"':
            in_string = not in_string
        elif in_string:
            continue
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def json_may_hold_surrogates(text: str) -> bool:
    """Whether the JSON ``text`` has a surrogate escape at all (if not, no parsed string can hold
    one and :func:`first_unpaired_surrogate` need not walk the result)."""
    return _JSON_SURROGATE_ESCAPE.search(text) is not None


def first_unpaired_surrogate(value: object, path: str = "") -> tuple[str, str] | None:
    """The first string (key or value) of parsed JSON holding an unpaired surrogate:
    ``(path, problem)``, e.g. ``("items[3].text", "...")``. Keys are checked before the path
    goes through them, so a path never carries the bad text. Depth is already bounded."""
    if isinstance(value, str):
        problem = text_problem(path or "the body", value, nul=False)
        return (path or "body", problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            if problem := text_problem(f"a key of {path or 'the body'}", key, nul=False):
                return (path or "body", problem)
            if found := first_unpaired_surrogate(item, f"{path}.{key}" if path else key):
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if found := first_unpaired_surrogate(item, f"{path}[{index}]"):
                return found
    return None


_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def webhook_url_problem(value: str, *, allow_loopback: bool, kind: str = "standard") -> str | None:
    """A webhook target: ``https://`` with a host; plain ``http://`` only to the loopback address
    when ``allow_loopback`` (development and tests). Where the host resolves to is checked again
    at every send (``tenants.webhooks.services``).

    ``kind`` ``slack`` needs a Slack incoming-webhook URL (``https://hooks.slack.com/…``),
    ``teams`` a Microsoft Teams one (``https://….webhook.office.com/…`` or a Power Automate
    workflow's ``https://….logic.azure.com/…``); the loopback address stays allowed with
    ``allow_loopback``."""
    if problem := _webhook_url_shape_problem(value, allow_loopback=allow_loopback):
        return problem
    host = (urlsplit(value.strip()).hostname or "").lower()
    if allow_loopback and host in _LOOPBACK_HOSTS:
        return None
    if kind == "slack" and host != "hooks.slack.com":
        return (
            "A Slack endpoint needs the incoming-webhook URL Slack gives you, starting with "
            "https://hooks.slack.com/ — copy it from the Slack app's “Incoming Webhooks” page."
        )
    if kind == "teams" and not (host.endswith(".webhook.office.com") or host.endswith(".logic.azure.com")):
        return (
            "A Microsoft Teams endpoint needs the URL Teams gives you: https://….webhook.office.com/… "
            "(an incoming webhook) or https://….logic.azure.com/… (a Workflows webhook) — copy it "
            "from the channel's connector or workflow."
        )
    return None


def _webhook_url_shape_problem(value: str, *, allow_loopback: bool) -> str | None:
    if problem := text_problem("The URL", value):
        return problem
    if len(value) > 500:
        return "The URL is longer than 500 characters: use a shorter address."
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 — raises for a port that is not a number
    except ValueError:
        return "The URL is not a valid address: enter it as https://host/path."
    if not parts.hostname:
        return "The URL has no host: enter it as https://host/path."
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and allow_loopback and parts.hostname in _LOOPBACK_HOSTS:
        return None
    return (
        "The URL must start with https:// — webhooks carry your customers' data and are only sent encrypted."
    )
