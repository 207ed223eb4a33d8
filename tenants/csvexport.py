"""Every CSV the product hands out goes through here, so no cell can run as a formula.

A spreadsheet treats a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (``+cmd|' /C calc'!A0`` runs a program in some of them). Such a cell is
written with a leading ``'``, which spreadsheets show as text and do not display. Plain
numbers (``-0.42``) are left alone: they cannot be formulas, and a quote would turn them
into text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def csv_cell(value: Any) -> str:
    """``value`` as the text of one cell, neutralised if a spreadsheet would run it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """One CSV line per row, every cell through :func:`csv_cell` (for streaming responses)."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """The whole CSV as one string."""
    out = io.StringIO()
    for line in csv_lines(rows):
        out.write(line)
    return out.getvalue()
