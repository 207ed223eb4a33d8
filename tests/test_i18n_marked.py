"""Every visible string of the staff and public templates is marked for translation.

The staff pages are shown in English for now; marking their text means a catalogue can be
added without touching the templates again. A new template with unmarked text fails here:
``tests/i18n_scan.py``'s ``mark`` marks it.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from tests.i18n_scan import mark, unmarked_runs

ROOT = Path(settings.BASE_DIR)
TEMPLATES = sorted(p for p in ROOT.glob("*/templates/**/*.html") if ".venv" not in p.parts)


def test_the_templates_are_found():
    assert len(TEMPLATES) > 100


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_visible_string_is_marked(path):
    assert unmarked_runs(path.read_text()) == []


SAMPLE = """{% extends "base.html" %}
{% block content %}<h1 class="x" title="Not text">Promises of {{ tenant.name }}</h1>
<p>
  Two lines,
  one text: 50 % "quoted".
</p>
<script>var notText = "left alone";</script><!-- a comment stays -->
{% comment %}Not shown{% endcomment %}<a href="{% url 'x' %}">Back</a>{{ count }} · {{ a.b|default:"x y" }}
{% endblock %}"""


def test_marking_keeps_what_english_readers_see():
    marked = mark(SAMPLE)
    assert unmarked_runs(marked) == []
    assert marked.startswith('{% extends "base.html" %}\n{% load i18n %}\n')
    assert (
        "{% blocktranslate trimmed with name=tenant.name %}Promises of {{ name }}{% endblocktranslate %}"
        in marked
    )
    assert """{% translate 'Two lines, one text: 50 % "quoted".' %}""" in marked
    assert '{% translate "Back" %}' in marked
    assert 'var notText = "left alone";' in marked and "<!-- a comment stays -->" in marked
    assert 'title="Not text"' in marked and "{% comment %}Not shown{% endcomment %}" in marked
    body = marked.split("{% block content %}", 1)[1].rsplit("{% endblock %}", 1)[0]
    with translation.override("en"):
        html = Template("{% load i18n %}" + body.replace("{% url 'x' %}", "/x")).render(
            Context({"tenant": {"name": "Acme & Co"}, "count": 3, "a": {"b": ""}})
        )
    assert "Promises of Acme &amp; Co" in html
    assert 'Two lines, one text: 50 % "quoted".' in html
    assert ">Back</a>3 · x y" in html
