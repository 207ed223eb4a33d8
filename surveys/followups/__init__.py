"""Closing the loop: the follow-up of every unhappy answer of a hosted survey.

An answer at or below the survey's rule (``Survey.unhappy_threshold``) opens a
:class:`surveys.models.FollowUp` for the survey's department in the transaction that stores it
(:mod:`surveys.followups.services`); the department's managers see it in their inbox
(:mod:`surveys.followups.views`), in their digest, over the API and as a ``followup.created``
webhook event, assign an owner and close it with an outcome and a note.
"""
