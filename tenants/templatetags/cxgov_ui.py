"""Template helpers: the permission check, and Bootstrap rendering of form fields.

``{% can "member.invite" as allowed %}`` (optionally with a target:
``{% can "member.change_role" member as allowed %}``) asks the one permission table in
:mod:`tenants.permissions` about the signed-in member, so templates hide exactly what the
views would refuse.
"""

from __future__ import annotations

from typing import Any

from django import forms, template

from tenants.permissions import can as member_can

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, action: str, target: Any = None) -> bool:
    request = context.get("request")
    membership = getattr(request, "membership", None) if request is not None else None
    return member_can(membership, action, target)


def _css_class(widget: forms.Widget, invalid: bool) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    return f"{css} is-invalid" if invalid else css


def field_kind(bound_field: forms.BoundField) -> str:
    widget = bound_field.field.widget
    if widget.is_hidden:
        return "hidden"
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        return "choices"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    return "input"


@register.filter
def bootstrap_widget(bound_field: forms.BoundField):
    """The field's widget with Bootstrap's classes (and ``aria-describedby`` for its messages)."""
    widget = bound_field.field.widget
    attrs = {
        "class": " ".join(
            filter(None, [widget.attrs.get("class", ""), _css_class(widget, bool(bound_field.errors))])
        )
    }
    described = []
    if bound_field.help_text:
        described.append(f"{bound_field.auto_id}_help")
    if bound_field.errors:
        described.append(f"{bound_field.auto_id}_errors")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if bound_field.errors:
        attrs["aria-invalid"] = "true"
    return bound_field.as_widget(attrs=attrs)


@register.filter
def kind(bound_field: forms.BoundField) -> str:
    return field_kind(bound_field)


@register.inclusion_tag("tenants/_field.html")
def field(bound_field: forms.BoundField):
    """One form field: label, Bootstrap-classed widget, help text and its errors."""
    kind = field_kind(bound_field)
    if kind == "choices":
        # Each checkbox or radio button of the group is rendered from the widget's attrs.
        bound_field.field.widget.attrs["class"] = "form-check-input"
    return {"field": bound_field, "kind": kind}


@register.filter
def change_rows(changes: Any) -> list[tuple[str, Any, Any]]:
    """An audit event's ``changes`` (``{field: [before, after]}``) as rows for a table."""
    if not isinstance(changes, dict):
        return []
    rows = []
    for name, value in changes.items():
        if isinstance(value, list | tuple) and len(value) == 2:
            rows.append((name, value[0], value[1]))
        else:
            rows.append((name, None, value))
    return rows


@register.filter
def scope_label(scope: str) -> str:
    from tenants.models import ApiKey

    try:
        return ApiKey.Scope(scope).label
    except ValueError:
        return scope


@register.filter
def shorten(value: Any, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary (show the whole text in a ``title``)."""
    from tenants.text import shorten as shorten_text

    return shorten_text("" if value is None else str(value), int(limit))


@register.filter
def startswith(value: Any, prefix: str) -> bool:
    return isinstance(value, str) and value.startswith(prefix)


@register.filter
def without_ids(changes: list[tuple[str, Any, Any]]) -> list[tuple[str, Any, Any]]:
    """Drop the bookkeeping columns every row has (its id and tenant) from a change summary."""
    return [row for row in changes if row[0] not in ("id", "tenant_id")]
