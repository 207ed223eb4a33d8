"""Business-hours calendars: the pure clock (:mod:`tenants.calendars.clock`), the calendars a
tenant keeps (models, services, selectors) and their pages and API.

Other apps count a due time with :func:`tenants.calendars.selectors.clock_deadline` (it
honours the tenant's choice of business or calendar time and the department's calendar).
"""
