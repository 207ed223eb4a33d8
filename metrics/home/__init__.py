"""The home page of a tenant: what needs each member, by what they may do.

It reads across the apps (stories, escalations, sign-offs, the latest score run, the tenant's
set-up and health), so it lives here, in the app that may read them all.
"""
