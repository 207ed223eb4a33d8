"""Security headers on every kind of response: pages, API answers, errors."""

import re
from pathlib import Path

from django.test import Client

from tenants.services import api_key_create
from tests.conftest import signed_in
from tests.tenants.test_api import client_with


def policy_of(response) -> dict[str, str]:
    """The Content-Security-Policy header as {directive: sources}."""
    header = response["Content-Security-Policy"]
    return {name: sources for name, _, sources in (part.strip().partition(" ") for part in header.split(";"))}


def assert_modern_headers(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions


def test_a_page_allows_only_its_own_scripts_and_styles_and_a_nonce(tenant):
    client = signed_in("acme", "viewer@acme.test")
    response = client.get("/")
    assert response.status_code == 200
    policy = policy_of(response)
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    for directive in ("script-src", "style-src"):
        sources = policy[directive].split()
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources
        assert sources[0] == "'self'" and len(sources) <= 2
    assert_modern_headers(response)


def test_the_nonce_is_new_for_each_response_and_marks_the_inline_code(tenant):
    """Only the API docs page has inline code (Swagger UI's start-up): it carries the nonce that
    the header names, and the next response has another."""
    client = Client(HTTP_HOST="acme.localhost")
    first, second = client.get("/api/docs/"), client.get("/api/docs/")
    assert first.status_code == 200
    nonces = []
    for response in (first, second):
        [nonce] = [s for s in policy_of(response)["script-src"].split() if s.startswith("'nonce-")]
        value = nonce.removeprefix("'nonce-").removesuffix("'")
        assert f'<script nonce="{value}">'.encode() in response.content
        assert f'<style nonce="{value}">'.encode() in response.content
        nonces.append(value)
    assert nonces[0] != nonces[1]
    assert_modern_headers(first)


def test_an_api_answer_carries_the_same_headers(tenant):
    key = api_key_create(tenant=tenant, name="Partner system", scopes=["promises:read"]).secret
    response = client_with(key).get("/api/v1/tenant")
    assert response.status_code == 200
    assert policy_of(response)["frame-ancestors"] == "'none'"
    assert policy_of(response)["script-src"] == "'self'"
    assert_modern_headers(response)
    refused = client_with("cxg_not-a-key").get("/api/v1/tenant")
    assert refused.status_code == 401
    assert policy_of(refused)["default-src"] == "'self'"
    assert_modern_headers(refused)


def test_no_template_has_inline_event_handlers_styles_or_scripts():
    """The policy would refuse them: event handlers (onclick=…), style attributes and inline
    <script>/<style> without the nonce. JSON data blocks (json_script) are not code."""
    root = Path(__file__).resolve().parent.parent
    offenders = []
    patterns = [
        re.compile(r"\son[a-z]+\s*=", re.I),
        re.compile(r"\sstyle\s*=", re.I),
        re.compile(r"<script(?![^>]*\b(src|nonce)=)(?![^>]*type=\"application/(ld\+)?json\")[^>]*>", re.I),
        re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I),
        re.compile(r"\shx-on", re.I),
    ]
    for path in root.glob("*/templates/**/*.html"):
        if path.name == "email.html" and "digest" in path.parts:
            continue  # an e-mail, served under a policy of its own (metrics.digests.views)
        if path.name == "snippet.html" and "email" in path.parts:
            continue  # HTML a company pastes into its own e-mails: mail clients need inline styles
        text = path.read_text()
        for pattern in patterns:
            for match in pattern.finditer(text):
                offenders.append(f"{path.relative_to(root)}: {match.group(0)}")
    assert offenders == []
