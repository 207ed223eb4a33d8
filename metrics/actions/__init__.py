"""Action plans: what a department does about a promise, an escalation or a breach, who does it
and by when; reminders before and at the due date; whether it worked (``docs/actions.md``).

The models are imported by ``metrics.models`` so Django finds them in the ``metrics`` app.
"""
