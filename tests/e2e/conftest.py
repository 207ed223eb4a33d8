"""Browser tests: Playwright for Python driving Debian's Chromium against a live server."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CXGOV_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Browser tests need Chromium at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in the test thread; the test's own database
    # calls (arranging and checking rows) are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# Reports every Content-Security-Policy violation of a document (in any frame) to the test.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  window.cxgovCspViolation(
    [event.effectiveDirective, event.blockedURI, event.sourceFile + ":" + event.lineNumber, event.sample].join(" | ")
  );
});
"""


class SecurityPolicyWatch:
    """What the browser reported against the site's security headers during one test."""

    def __init__(self):
        self.violations: list[str] = []
        self.console: list[str] = []
        self.documents_without_csp: list[str] = []

    def on_console(self, message):
        text = message.text
        if (
            "Content Security Policy" in text
            or "Content-Security-Policy" in text
            or "Permissions-Policy" in text
        ):
            self.console.append(f"{message.type}: {text}")

    def on_response(self, response):
        # Every page the product serves carries the policy: a test cannot pass with it off.
        if response.request.resource_type == "document" and "content-security-policy" not in response.headers:
            self.documents_without_csp.append(f"{response.status} {response.url}")

    def problems(self) -> list[str]:
        return (
            [f"securitypolicyviolation: {v}" for v in self.violations]
            + [f"console: {c}" for c in self.console]
            + [f"no Content-Security-Policy header: {d}" for d in self.documents_without_csp]
        )


@pytest.fixture
def csp_watch():
    return SecurityPolicyWatch()


@pytest.fixture
def new_page(browser, csp_watch):
    """``new_page(**context_options)`` → a page in a browser context of its own (one person's
    session). Every browser test gets its pages here (or through ``page``): the test fails if
    the browser saw any Content-Security-Policy violation (an event or a console message) or a
    page served without the policy."""
    pages = []

    def open_page(**context_options):
        context = browser.new_context(**context_options)
        context.expose_binding("cxgovCspViolation", lambda _source, text: csp_watch.violations.append(text))
        context.add_init_script(_REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        page.on("console", csp_watch.on_console)
        page.on("response", csp_watch.on_response)
        page.set_default_timeout(15_000)
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        # Violations are reported asynchronously: let each page settle before reading them.
        if not page.is_closed():
            page.wait_for_timeout(100)
        page.context.close()
    assert csp_watch.problems() == [], "\n".join(csp_watch.problems())


@pytest.fixture
def page(new_page):
    """A fresh desktop-sized browser page, watched like every page of ``new_page``."""
    return new_page(viewport={"width": 1280, "height": 900})


@pytest.fixture
def site(live_server, settings):
    """``site("acme")`` → the base URL of tenant acme on the live server (which e-mails link to)."""
    port = live_server.thread.port
    settings.CXGOV_TENANT_URL = f"http://{{slug}}.localhost:{port}"
    return lambda slug: f"http://{slug}.localhost:{port}"
