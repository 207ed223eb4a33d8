"""Finds the visible text of a Django template that is not marked for translation.

A *run* is what a reader sees as one piece of text: the text between two HTML tags or template
tags, with the ``{{ variables }}`` inside it. A run with words in it is marked when it sits in
``{% translate %}`` or ``{% blocktranslate %}``. The text of ``<script>``, ``<style>``, ``<pre>``
and ``<textarea>``, HTML comments, and what is inside ``{% comment %}`` or ``{% verbatim %}``
is not visible text (or must stay byte for byte) and is left alone; so are attribute values.

:func:`mark` rewrites a template with every unmarked run marked (``translate`` for plain text,
``blocktranslate trimmed with …`` when the run holds variables) and ``{% load i18n %}`` added;
:func:`unmarked_runs` lists what is left to mark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TAG_RE = re.compile(r"({%.*?%}|{{.*?}}|{#.*?#})", re.DOTALL)
RAW_ELEMENTS = ("script", "style", "pre", "textarea")
SKIP_BLOCKS = {
    "comment": "endcomment",
    "verbatim": "endverbatim",
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
}
WORD_RE = re.compile(r"[^\W\d_]{2,}")
VAR_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class _Piece:
    kind: str  # "text" (outside any HTML tag), "var", or "other" (kept as it is)
    raw: str


def _pieces(source: str) -> list[_Piece]:
    """Split a template into pieces, tracking HTML tags, raw elements and skipped blocks."""
    out: list[_Piece] = []
    in_tag = False  # inside <…>
    raw_element: str | None = None  # inside <script> … </script> and the like
    in_html_comment = False
    tag_name = ""  # the name of the HTML tag being read
    skip_until: str | None = None  # inside {% comment %} … {% endcomment %} and the like

    for index, part in enumerate(TAG_RE.split(source)):
        if not part:
            continue
        if index % 2:  # a template tag
            inner = part[2:-2].strip()
            name = inner.split(" ", 1)[0] if inner else ""
            if skip_until is not None:
                if part.startswith("{%") and name == skip_until:
                    skip_until = None
                out.append(_Piece("other", part))
                continue
            if part.startswith("{%") and name in SKIP_BLOCKS:
                skip_until = SKIP_BLOCKS[name]
            visible = not (in_tag or raw_element or in_html_comment)
            if (
                part.startswith("{{")
                and visible
                and " " not in inner
                and '"' not in inner
                and "'" not in inner
            ):
                out.append(_Piece("var", part))
            else:
                out.append(_Piece("other", part))
            continue
        if skip_until is not None:
            out.append(_Piece("other", part))
            continue
        # Plain HTML: walk it, cutting it where a tag starts or ends.
        position = 0
        buffer = ""
        while position < len(part):
            if in_html_comment:
                end = part.find("-->", position)
                stop = len(part) if end == -1 else end + 3
                out.append(_Piece("other", part[position:stop]))
                position = stop
                in_html_comment = end == -1
                continue
            if raw_element:
                match = re.compile(rf"</{raw_element}\s*>", re.I).search(part, position)
                stop = len(part) if match is None else match.end()
                out.append(_Piece("other", part[position:stop]))
                position = stop
                if match is not None:
                    raw_element = None
                continue
            if in_tag:
                end = part.find(">", position)
                stop = len(part) if end == -1 else end + 1
                buffer += part[position:stop]
                tag_text = buffer
                position = stop
                if end != -1:
                    in_tag = False
                    if tag_name in RAW_ELEMENTS and not tag_text.rstrip().endswith("/>"):
                        raw_element = tag_name
                    out.append(_Piece("other", buffer))
                    buffer = ""
                continue
            start = part.find("<", position)
            if start == -1:
                out.append(_Piece("text", part[position:]))
                position = len(part)
                continue
            if start > position:
                out.append(_Piece("text", part[position:start]))
            if part.startswith("<!--", start):
                in_html_comment = True
                buffer = ""
                position = start
                continue
            in_tag = True
            opened = re.match(r"<\s*([A-Za-z]+)", part[start:])
            tag_name = opened.group(1).lower() if opened else ""
            buffer = ""
            position = start
        if buffer:
            out.append(_Piece("other", buffer))
    return out


def _runs(pieces: list[_Piece]) -> list[tuple[int, int]]:
    """Index ranges [start, end) of pieces forming a run of text and variables with words in it."""
    runs = []
    i = 0
    while i < len(pieces):
        if pieces[i].kind not in ("text", "var"):
            i += 1
            continue
        j = i
        while j < len(pieces) and pieces[j].kind in ("text", "var"):
            j += 1
        words = "".join(p.raw for p in pieces[i:j] if p.kind == "text")
        if WORD_RE.search(words):
            runs.append((i, j))
        i = j
    return runs


def unmarked_runs(source: str) -> list[str]:
    """The text runs of ``source`` that a reader sees and that are not marked for translation."""
    pieces = _pieces(source)
    return [" ".join("".join(p.raw for p in pieces[i:j]).split()) for i, j in _runs(pieces)]


def _var_name(expression: str, taken: set[str]) -> str:
    base = expression.split("|", 1)[0].split(".")[-1]
    base = base if VAR_NAME_RE.fullmatch(base) and not base[0].isdigit() else "value"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}{n}", n + 1
    taken.add(name)
    return name


def _mark_run(pieces: list[_Piece]) -> str:
    raw = "".join(p.raw for p in pieces)
    lead = raw[: len(raw) - len(raw.lstrip())]
    trail = raw[len(raw.rstrip()) :]
    if not any(p.kind == "var" for p in pieces):
        text = " ".join(raw.split())
        quote = '"' if '"' not in text else "'"
        if quote in text:
            return f"{lead}{{% blocktranslate trimmed %}}{text}{{% endblocktranslate %}}{trail}"
        return f"{lead}{{% translate {quote}{text}{quote} %}}{trail}"
    taken: set[str] = set()
    bindings: list[str] = []
    body = ""
    for piece in pieces:
        if piece.kind == "var":
            expression = piece.raw[2:-2].strip()
            name = _var_name(expression, taken)
            bindings.append(f"{name}={expression}")
            body += f"{{{{ {name} }}}}"
        else:
            body += piece.raw
    body = " ".join(body.split())
    return f"{lead}{{% blocktranslate trimmed with {' '.join(bindings)} %}}{body}{{% endblocktranslate %}}{trail}"


def mark(source: str) -> str:
    """``source`` with every unmarked run marked and ``{% load i18n %}`` present when needed."""
    pieces = _pieces(source)
    runs = _runs(pieces)
    if not runs:
        return source
    out = []
    cursor = 0
    for i, j in runs:
        out.extend(p.raw for p in pieces[cursor:i])
        out.append(_mark_run(pieces[i:j]))
        cursor = j
    out.extend(p.raw for p in pieces[cursor:])
    marked = "".join(out)
    if not re.search(r"{%\s*load\s+[^%]*\bi18n\b", marked):
        # Into the first {% load %}, else after {% extends %}, else first: never a new line of
        # output (an htmx fragment is compared as it starts).
        first_load = re.search(r"{%\s*load\s+([^%]*?)\s*%}", marked)
        if first_load:
            tag = f"{{% load {first_load.group(1)} i18n %}}"
            marked = marked[: first_load.start()] + tag + marked[first_load.end() :]
        else:
            extends = re.match(r"\s*{%\s*extends\s[^%]*%}\n?", marked)
            at = extends.end() if extends else 0
            marked = marked[:at] + "{% load i18n %}" + ("\n" if extends else "") + marked[at:]
    return marked
