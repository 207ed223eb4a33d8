"""The feedback app's models, as Django finds them: each subject keeps its own.

- :mod:`feedback.signals.models`: the signal base, survey responses, service events;
- :mod:`feedback.stories.models`: stories and the promises they touch;
- :mod:`feedback.ingest.models`: stored Idempotency-Key answers;
- :mod:`feedback.imports.models`: CSV imports;
- :mod:`feedback.escalations.models`: escalations, their settings, evidence and timeline.

Code imports the subject's module; this one only makes the models part of the app.
"""

from feedback.escalations.models import (
    Escalation,
    EscalationEntry,
    EscalationEvidence,
    EscalationSettings,
)
from feedback.imports.models import SignalImport
from feedback.ingest.models import IdempotencyRecord
from feedback.signals.models import ServiceEvent, SurveyResponse
from feedback.stories.models import Story, StoryPromise

__all__ = [
    "Escalation",
    "EscalationEntry",
    "EscalationEvidence",
    "EscalationSettings",
    "IdempotencyRecord",
    "ServiceEvent",
    "SignalImport",
    "Story",
    "StoryPromise",
    "SurveyResponse",
]
