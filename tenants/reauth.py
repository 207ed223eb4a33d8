"""Sensitive writes ask for the password (or a TOTP code) again after 5 minutes, and keep the
form: what the person sent waits in their session while they re-authenticate, then the form's
own page takes it up again.

allauth's own decorator replays the suspended POST inside the re-authentication request: a
form refused there (say, an API key with a bad expiry date) came back under
``/accounts/reauthenticate/``, and its corrected send went to the password page. Here the
re-authentication page sends the person back to the form's address (``?next=``), and that
request carries on with what they sent: a valid form completes the write and redirects as
usual, a refused one is drawn at its own address, with what they typed and why it was refused.
"""

from __future__ import annotations

import time
from functools import wraps

from allauth.account.decorators import reauthentication_required
from allauth.core.exceptions import ReauthenticationRequired
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils.http import urlencode

SESSION_KEY = "cxgov_form_awaiting_reauthentication"
KEPT_FOR = 15 * 60  # seconds a form waits for its sender to re-authenticate


def reauthenticate_on_post(view):
    """The form may be shown (GET) without re-authenticating; sending it (POST) needs it."""
    guarded = reauthentication_required(view, allow_get=True)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.method == "GET" and (sent := _awaiting(request)) is not None:
            # Back from re-authenticating: carry on with what was sent (its CSRF token was
            # checked when it was sent; it never left the server-side session since).
            request.method = "POST"
            request.POST = sent
        try:
            return guarded(request, *args, **kwargs)
        except ReauthenticationRequired:
            if request.method != "POST":
                raise
            request.session[SESSION_KEY] = {
                "path": request.path,
                "post": request.POST.urlencode(),
                "at": time.time(),
            }
            target = request.get_full_path()
            return HttpResponseRedirect(
                f"{reverse('account_reauthenticate')}?{urlencode({REDIRECT_FIELD_NAME: target})}"
            )

    return wrapper


def _awaiting(request: HttpRequest) -> QueryDict | None:
    stored = request.session.get(SESSION_KEY)
    if not stored or stored.get("path") != request.path:
        return None
    del request.session[SESSION_KEY]
    if time.time() - stored.get("at", 0) > KEPT_FOR:
        return None
    return QueryDict(stored["post"])
