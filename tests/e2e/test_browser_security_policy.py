"""The pages most likely to need inline code (third-party ones included) work in a real browser
under the Content-Security-Policy: the API docs (Swagger UI), two-factor enrolment with its QR
code and recovery codes, the API key's copy button, coloured score bands. The ``page`` fixture
fails a test on any policy violation; the first test proves that it does."""

import re

import pytest
from playwright.sync_api import expect

from metrics.bands import SCORE_BANDS
from metrics.demo import seed_demo_signals
from promises.demo import seed_demo_promises
from tenants.demo import DEMO_PASSWORD, DEMO_TENANTS, seed_demo_tenant
from tests.conftest import TEST_PASSWORD, make_tenant
from tests.e2e.conftest import _REPORT_CSP_VIOLATIONS, SecurityPolicyWatch
from tests.tenants.test_auth import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_page_fixture_sees_a_violation(browser, site):
    """The watch the ``page`` fixture uses reports an inline script and style attribute that a
    policy refuses, and a document served without any policy."""
    make_tenant("acme", "Acme Retail")
    watch = SecurityPolicyWatch()
    context = browser.new_context()
    context.expose_binding("cxgovCspViolation", lambda _source, text: watch.violations.append(text))
    context.add_init_script(_REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on("console", watch.on_console)
    page.on("response", watch.on_response)
    base = site("acme")
    strict = "<!doctype html><p style='color: red'>styled</p><script>document.title = 'ran';</script>"
    page.route(
        f"{base}/strict",
        lambda route: route.fulfill(
            body=strict, content_type="text/html", headers={"Content-Security-Policy": "default-src 'self'"}
        ),
    )
    page.route(f"{base}/open", lambda route: route.fulfill(body="<p>no policy</p>", content_type="text/html"))
    page.goto(f"{base}/strict")
    page.wait_for_function("() => document.readyState === 'complete'")
    assert page.title() != "ran"
    page.goto(f"{base}/open")
    page.wait_for_timeout(100)
    context.close()
    problems = "\n".join(watch.problems())
    assert "securitypolicyviolation: script-src-elem" in problems
    assert "securitypolicyviolation: style-src-attr" in problems
    assert "console: error: Executing inline script violates" in problems
    assert f"no Content-Security-Policy header: 200 {base}/open" in problems


def test_api_docs_render_under_the_policy(page, site):
    make_tenant("acme", "Acme Retail")
    response = page.goto(f"{site('acme')}/api/docs/")
    assert "'nonce-" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name=re.compile("cxgov API"))).to_be_visible()
    # The operations come from the schema, fetched by Swagger UI's own script.
    expect(page.get_by_text("/api/v1/stories").first).to_be_visible()


def test_an_admin_enrols_two_factor_and_copies_a_new_api_key(page, site):
    make_tenant("acme", "Acme Retail")
    base = site("acme")

    # An admin without TOTP is sent to enrol first: the QR code is a data: image.
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=login]").fill("admin@acme.test")
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    qr = page.locator("img.cxgov-qr")
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:")
    assert page.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 0
    secret = page.locator("input#authenticator_secret, input[name=secret], code").first
    secret_text = (
        secret.input_value() if secret.evaluate("e => e.tagName") == "INPUT" else secret.inner_text()
    )
    page.locator("input[name=code]").fill(totp_code(secret_text.strip()))
    page.locator("input[name=code]").press("Enter")

    # The recovery codes page runs allauth's own scripts (download, print).
    page.goto(f"{base}/accounts/2fa/recovery-codes/")
    expect(page.get_by_text(re.compile("recovery codes", re.I)).first).to_be_visible()

    # A new API key: the copy button appears only if its script ran.
    page.goto(f"{base}/admin/api-keys/new/")
    page.locator("input[name=name]").fill("Helpdesk")
    page.locator("input[name=scopes][value='promises:read']").check()
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    page.locator("#api-key-secret").focus()
    selected = page.evaluate("() => window.getSelection().toString() || document.activeElement.selectionEnd")
    assert selected


def test_score_bands_are_coloured_by_their_class(page, site):
    tenant = seed_demo_tenant(DEMO_TENANTS[0])
    seed_demo_promises(tenant)
    assert seed_demo_signals(tenant) > 0
    base = site("acme")
    page.goto(f"{base}/accounts/login/?next=/scores/journey/")
    page.locator("input[name=login]").fill("viewer@acme.example")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(re.compile(r"/scores/journey/$"))
    legend = {label: colour for _lowest, label, colour in SCORE_BANDS}
    for label, colour in legend.items():
        badge = page.locator("span.badge", has_text=re.compile(rf"^{label}$")).first
        red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        expect(badge).to_have_css("background-color", f"rgb({red}, {green}, {blue})")
