"""The shared input rules (tenants.validation), the formula-safe CSV cells, the database reading
of out-of-range values, and the console forms that take dates."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import pytest
from django.db import connection

from tenants.context import tenant_context
from tenants.csvexport import csv_cell, csv_text
from tenants.dbbackend.base import READ_CEILING, READ_FLOOR
from tenants.models import ApiKey
from tenants.validation import (
    duration_problem,
    instant_problem,
    json_depth_exceeds,
    json_may_hold_surrogates,
    text_problem,
)
from tests.tenants.test_console import reauthenticate


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.mark.parametrize(
    ("raw", "deep"),
    [
        ("[" * 5000, True),
        ("[" * 33 + "]" * 33, True),
        ("[" * 32 + "]" * 32, False),
        ('"' + "[" * 5000 + '"', False),
        ('["\\"' + "[" * 40 + '"]', False),
        ('{"a": "\\\\"}' + "{" * 33, True),
        ("", False),
        # The fast path (strings dropped, innermost pairs stripped per level) and its limits.
        ('{"items": [' + ", ".join(['{"a": [1, {"b": "]]}}"}]}'] * 500) + "]}", False),
        ("[" * 31 + '{"x": "}"}' + "]" * 31, False),
        ("[" * 32 + '{"x": "}"}' + "]" * 32, True),
        ("[" * 33 + "}" * 33, True),  # unbalanced: the exact scan decides
        ("[{]}" * 3, False),
        ('"unterminated [[[[' + "[" * 40, False),  # all inside the string, as the parser reads it
    ],
)
def test_json_depth_is_measured_outside_strings(raw, deep):
    assert json_depth_exceeds(raw) is deep


@pytest.mark.parametrize(
    ("raw", "may_hold"),
    [
        ('{"a": "\\ud800"}', True),
        ('{"a": "\\uDFFF"}', True),
        ('{"a": "\\u00e9 \\ud7ff"}', False),
        ('{"a": "é"}', False),
    ],
)
def test_only_a_body_with_a_surrogate_escape_is_walked_for_surrogates(raw, may_hold):
    assert json_may_hold_surrogates(raw) is may_hold


def test_a_year_one_time_far_east_is_compared_without_overflow():
    value = datetime.fromisoformat("0001-01-01T00:00:00+14:00")
    with pytest.raises(OverflowError):
        value.astimezone(UTC)  # what used to break every read
    assert "before 2000-01-01" in instant_problem("occurred_at", value)
    far = datetime.fromisoformat("9999-12-31T23:59:59-14:00")
    assert "in the future" in instant_problem("occurred_at", far)
    assert "too far in the future" in instant_problem("from", far, future=True)


def test_text_rules_name_the_position_without_echoing_it():
    assert text_problem("text", "fine ✓ \U0001f600") is None
    assert "position 3" in text_problem("text", "abc\x00")
    assert "surrogate" in text_problem("text", "a\ud800")
    assert text_problem("text", "abc\x00", nul=False) is None


def test_durations_up_to_ten_years():
    assert duration_problem("d", 315_360_000) is None
    assert "more than ten years" in duration_problem("d", 315_360_001)
    assert "a 31-digit number" in duration_problem("d", 10**30)


@pytest.mark.parametrize("value", ["=1+1", "+cmd|' /C calc'!A0", "-x", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_that_would_run_are_quoted(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize(
    ("value", "cell"), [(-0.42, "-0.42"), ("-0.4200", "-0.4200"), ("+3", "+3"), (None, ""), ("a=b", "a=b")]
)
def test_csv_numbers_and_plain_text_stay_as_they_are(value, cell):
    assert csv_cell(value) == cell


def test_csv_text_quotes_every_cell():
    assert csv_text([["=a", 1], ["b", "@c"]]) == "'=a,1\r\nb,'@c\r\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT '0001-01-01 00:00:00+14'::timestamptz", READ_FLOOR),
        ("SELECT '0001-01-01 00:00:00+00'::timestamptz", READ_FLOOR),
        ("SELECT '10000-01-01 00:00:00+00'::timestamptz", READ_CEILING),
        ("SELECT 'infinity'::timestamptz", READ_CEILING),
        ("SELECT '-infinity'::timestamptz", READ_FLOOR),
        ("SELECT '0044-03-15 BC'::date", READ_FLOOR.date()),
        ("SELECT '10000-01-01'::date", READ_CEILING.date()),
        ("SELECT '2026-03-01 14:30:00+00'::timestamptz", datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),
        ("SELECT '2026-03-01'::date", date(2026, 3, 1)),
    ],
)
def test_the_database_reads_out_of_range_values_as_the_nearest_safe_one(sql, expected):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        assert cursor.fetchone() == (expected,)


# --- Console forms that take dates ---------------------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_an_api_key_expiry_out_of_range_is_a_form_error(member_clients, tenant, day):
    admin = member_clients["admin"]
    reauthenticate(admin)
    response = admin.post(
        "/admin/api-keys/new/", {"name": "Helpdesk", "scopes": ["scores:read"], "expires_on": day}
    )
    assert response.status_code == 200
    assert "The last day" in text(response)
    with tenant_context(tenant):
        assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    "query", ["date_to=9999-12-31", "date_from=0001-01-01", "date_from=2026-01-01&date_to=9999-12-31"]
)
def test_the_audit_filters_answer_a_message(member_clients, tenant, query):
    admin = member_clients["admin"]
    reauthenticate(admin)
    response = admin.get(f"/admin/audit/?{query}")
    assert response.status_code == 200
    page = text(response)
    assert "too far in the future" in page or "before 2000-01-01" in page
