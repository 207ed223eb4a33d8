"""Text as people read it: shortened at a word boundary, never in the middle of a word; one
name for the product acting by itself."""

from __future__ import annotations

ELLIPSIS = "…"
# Whatever cxgov does by itself (automatic proposals, reminders, scheduled work) is signed so,
# everywhere: pages, e-mails, exports, the audit log.
SYSTEM_ACTOR = "cxgov (automatic)"


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at the last word boundary within ``limit`` characters (the
    ellipsis included); whole when it fits. A single word longer than half the limit is cut."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS) + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space >= limit // 2 else cut[:-1]
    return cut.rstrip(" ,;:.-–—") + ELLIPSIS
