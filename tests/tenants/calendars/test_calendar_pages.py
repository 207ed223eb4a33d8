"""The admin console's business-hours pages: the tenant's calendar, a department's own, the
settings that make clocks count them; clear messages for bad input; admins only."""

from __future__ import annotations

from tenants.context import tenant_context
from tenants.models import BusinessCalendar, Department, Tenant

FORM = {
    "mon": "09:00-12:30, 13:30-17:00",
    "tue": "09:00-17:00",
    "wed": "09:00-17:00",
    "thu": "09:00-17:00",
    "fri": "09:00-15:00",
    "sat": "",
    "sun": "",
    "country": "DE",
    "subdivision": "BY",
    "closed_dates": "2026-12-24\n2026-12-31",
}


def test_an_admin_saves_the_business_calendar(tenant, member_clients):
    admin = member_clients["admin"]
    page = admin.get("/admin/calendar/")
    assert page.status_code == 200 and "Not set yet" in page.content.decode()
    response = admin.post("/admin/calendar/", FORM)
    assert response.status_code == 302
    with tenant_context(tenant):
        row = BusinessCalendar.objects.get()
    assert row.weekly_hours["mon"] == [["09:00", "12:30"], ["13:30", "17:00"]]
    assert row.closed_dates == ["2026-12-24", "2026-12-31"]
    page = admin.get("/admin/calendar/").content.decode()
    assert "Corpus Christi" in page  # Bavaria's public holidays are listed
    assert "09:00-12:30, 13:30-17:00" in page


def test_bad_hours_get_a_message_on_the_day(tenant, member_clients):
    admin = member_clients["admin"]
    for day, value, words in (
        ("mon", "17:00-09:00", "Monday: the interval 17:00–09:00 ends before it starts"),
        ("tue", "09:00-13:00, 12:00-17:00", "Tuesday: the intervals 09:00–13:00 and 12:00–17:00 overlap"),
        ("wed", "nine to five", "Wednesday: write the opening hours as start-end pairs"),
    ):
        page = admin.post("/admin/calendar/", FORM | {day: value})
        assert page.status_code == 200
        assert words in page.content.decode()
    page = admin.post("/admin/calendar/", FORM | {"closed_dates": "tomorrow"}).content.decode()
    assert "“tomorrow” is not a date" in page
    with tenant_context(tenant):
        assert not BusinessCalendar.objects.exists()


def test_a_department_gets_its_own_hours_and_gives_them_back(tenant, member_clients):
    admin = member_clients["admin"]
    with tenant_context(tenant):
        service = Department.objects.get(slug="customer-service")
    url = f"/admin/calendar/departments/{service.pk}/"
    assert "keeps the company's hours" in admin.get(url).content.decode()
    assert admin.post(url, FORM | {"sat": "10:00-14:00"}).status_code == 302
    with tenant_context(tenant):
        assert BusinessCalendar.objects.get(department=service).weekly_hours["sat"] == [["10:00", "14:00"]]
    assert "Its own hours" in admin.get("/admin/calendar/").content.decode()
    assert admin.post(f"{url}remove/").status_code == 302
    with tenant_context(tenant):
        assert not BusinessCalendar.objects.exists()


def test_the_settings_turn_business_hours_clocks_on(tenant, member_clients):
    admin = member_clients["admin"]
    form = {
        "name": tenant.name,
        "time_zone": tenant.time_zone,
        "business_hours_clocks": "on",
        "clock_reminder_percent": "80",
        "score_drop_points": "4.5",
        "score_drop_window_days": "10",
    }
    assert admin.post("/admin/settings/", form).status_code == 302
    tenant = Tenant.objects.get(pk=tenant.pk)
    assert tenant.business_hours_clocks is True and tenant.clock_reminder_percent == 80
    assert (float(tenant.score_drop_points), tenant.score_drop_window_days) == (4.5, 10)
    page = admin.post("/admin/settings/", form | {"clock_reminder_percent": "100"}).content.decode()
    assert "at 0 to 99 % of the clock" in page
    page = admin.post("/admin/settings/", form | {"score_drop_window_days": "0"}).content.decode()
    assert "The window is at least 1 day" in page


def test_only_admins_see_the_pages(tenant, member_clients):
    with tenant_context(tenant):
        service = Department.objects.get(slug="customer-service")
    for role in ("manager", "employee", "viewer"):
        client = member_clients[role]
        assert client.get("/admin/calendar/").status_code == 403
        assert client.post("/admin/calendar/", FORM).status_code == 403
        assert client.post(f"/admin/calendar/departments/{service.pk}/remove/").status_code == 403


def test_another_tenants_department_is_not_found(tenant, other_tenant, member_clients):
    from tenants.services import department_create

    other = department_create(tenant=other_tenant, name="Globex Only")
    assert member_clients["admin"].get(f"/admin/calendar/departments/{other.pk}/").status_code == 404
