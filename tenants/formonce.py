"""Create forms that act once: a form sent twice (a double click, or Back and send again)
creates one object, and the second send lands on it with a message.

Every create form carries a one-time token (the hidden field ``form_token``, a random UUID
issued when the form is drawn). The first send that carries it claims it in the cache (Redis,
shared by every web process) for the member who sent it; once the object exists, the token
points at its page. A later send with the same token creates nothing and is redirected
there. The browser keeps the token's value when the person goes Back, like everything they
typed (``tenants/static/tenants/form_token.js`` marks it as the form's own state).

Usage in a view, once the form is valid::

    def create():
        try:
            thing = services.thing_create(...)
        except DomainError as error:
            add_service_error(form, error)
            return None                      # refused: nothing created, the form shows why
        return thing_url, redirect(thing_url)  # where later sends land, this send's answer

    if (response := send_once(request, form, create)) is not None:
        return response
    return render(...)  # the form with its errors
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

FIELD = "form_token"
KEPT_FOR = 24 * 3600  # seconds a used token still finds what it created
CLAIM_FOR = 120  # seconds a send in progress holds its token (a crash frees it after that)
IN_PROGRESS = "…"
WAIT_FOR_FIRST = 5  # seconds a second send waits for the first to finish
ALREADY_SENT = "You already sent this form: nothing new was created. Here is what the first send created."
STILL_SENDING = "This form is being sent already; wait a moment, then check whether it went through."


class FormTokenInput(forms.TextInput):
    """A text field kept out of sight. Not ``<input type=hidden>``: the browser restores a text
    field's value on Back, never a hidden one's (see ``tenants/static/tenants/form_token.js``)."""

    is_hidden = True  # drawn like a hidden field: no label, no help

    def __init__(self):
        super().__init__(attrs={"hidden": True, "data-form-token": ""})


class FormTokenMixin:
    """Adds the hidden one-time token to a form (put it first among the bases)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[FIELD] = forms.UUIDField(
            label="This form",
            # Every drawn form carries it; a send without one (a script posting the fields) is
            # simply not protected against being sent twice.
            required=False,
            widget=FormTokenInput(),
            error_messages={
                "invalid": "This form is out of date; reload the page and send it again.",
            },
        )
        if not self.is_bound:
            self.initial.setdefault(FIELD, uuid.uuid4())


def _key(request: HttpRequest, token: uuid.UUID) -> str:
    tenant = getattr(request, "tenant", None)
    return f"cxgov:form-once:{tenant.pk if tenant else 0}:{request.user.pk}:{token}"


def send_once(
    request: HttpRequest,
    form: forms.Form,
    create: Callable[[], tuple[str, HttpResponse] | None],
) -> HttpResponse | None:
    """Run ``create`` for the first send of ``form``'s token; answer a later send with the page
    of what the first created. ``None``: nothing was created and ``form`` carries the reason."""
    token = form.cleaned_data.get(FIELD)
    if token is None:
        created = create()
        return None if created is None else created[1]
    key = _key(request, token)
    if not cache.add(key, IN_PROGRESS, CLAIM_FOR):
        # A second send: a double click arrives while the first is still being created.
        deadline = time.monotonic() + WAIT_FOR_FIRST
        while (target := cache.get(key)) == IN_PROGRESS and time.monotonic() < deadline:
            time.sleep(0.1)
        if target and target != IN_PROGRESS:
            messages.info(request, ALREADY_SENT)
            return redirect(target)
        if target == IN_PROGRESS:
            form.add_error(None, STILL_SENDING)
            return None
        cache.add(key, IN_PROGRESS, CLAIM_FOR)  # the first was refused: this send tries again
    try:
        created = create()
    except BaseException:
        cache.delete(key)
        raise
    if created is None:
        cache.delete(key)  # refused: the corrected form may be sent with the same token
        return None
    url, response = created
    cache.set(key, url, KEPT_FOR)
    return response
