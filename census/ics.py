"""A small iCalendar (RFC 5545) writer for the deadline feed: events with a reminder, folded lines."""

from collections.abc import Iterable
from datetime import UTC, datetime

from django.utils import translation

from .deadlines import Deadline

PRODID = "-//OpenDMC//Count calendar//TH"


def _text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (§3.1)."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _bilingual(text) -> str:
    """Return a translatable text as 'Thai / English' (a phone calendar has no language switch)."""
    with translation.override("th"):
        thai = str(text)
    with translation.override("en"):
        english = str(text)
    return thai if thai == english else f"{thai} / {english}"


def ics_calendar(
    *, name: str, deadlines: Iterable[Deadline], base_url: str, now: datetime, host: str
) -> bytes:
    """Return an iCalendar file of the deadlines, each with a reminder the day before."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_text(name)}",
        "X-WR-TIMEZONE:Asia/Bangkok",
        "REFRESH-INTERVAL;VALUE=DURATION:PT6H",
        "X-PUBLISHED-TTL:PT6H",
    ]
    for d in deadlines:
        summary = f"{_bilingual(d.title)} {d.subject}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{d.uid}@{host}",
            f"DTSTAMP:{_utc(now)}",
            f"DTSTART:{_utc(d.starts)}",
            f"DTEND:{_utc(d.ends)}",
            f"SUMMARY:{_text(summary)}",
            f"URL:{base_url}{d.url}",
            "TRANSP:TRANSPARENT",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "TRIGGER:-P1D",
            f"DESCRIPTION:{_text(summary)}",
            "END:VALARM",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()
