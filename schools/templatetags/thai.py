"""Template filters for Thai dates (Buddhist year) and citizen IDs."""

import datetime
import functools

from django import template
from django.utils import timezone, translation
from django.utils.html import format_html_join

from schools.identifiers import format_citizen_id, mask_citizen_id
from schools.models import Grade

register = template.Library()

THAI_MONTHS_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip
THAI_MONTHS_LONG = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
EN_MONTHS_SHORT = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def _dated(value, thai: bool, style: str) -> str:
    if value in (None, ""):
        return ""
    with_time = isinstance(value, datetime.datetime)
    if with_time and timezone.is_aware(value):
        value = timezone.localtime(value)
    if thai:
        months = THAI_MONTHS_LONG if style == "long" else THAI_MONTHS_SHORT
        text = f"{value.day} {months[value.month - 1]} {value.year + 543}"
    else:
        text = f"{value.day} {EN_MONTHS_SHORT[value.month - 1]} {value.year}"
    if with_time:
        text += f" {value:%H:%M}"
    return text


def thai_date(value, style: str = "short") -> str:
    """Return a date (or datetime, in Bangkok time) as the reader's language shows it: in Thai
    10 มิ.ย. 2566 13:05 (the Buddhist year), in English 10 Jun 2023 13:05."""
    return _dated(value, (translation.get_language() or "th").startswith("th"), style)


def be_date(value, style: str = "short") -> str:
    """Return a date (or datetime, in Bangkok time) in Thai with the Buddhist year, whatever the
    active language: for signed records and e-mails, and text that is Thai in every language."""
    return _dated(value, True, style)


def in_thai(func):
    """Run the function with Thai active: what it writes (an e-mail, a signed record) is in Thai,
    the language of its readers and of the record, whatever the language of the page that asked."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with translation.override("th"):
            return func(*args, **kwargs)

    return wrapper


@register.filter(name="thai_date")
def thai_date_filter(value, style: str = "short") -> str:
    return thai_date(value, style)


@register.filter
def thai_value(value):
    """Return a date or datetime as thai_date shows it, and any other value unchanged (the
    fields of viewflow's pages, which Django would show with the Christian year)."""
    if isinstance(value, datetime.date):
        return thai_date(value)
    return value


@register.filter
def be_year(value) -> int | str:
    """Return the Buddhist year of a date or of a Christian-era year number."""
    if value in (None, ""):
        return ""
    year = value if isinstance(value, int) else value.year
    return year + 543


@register.filter
def citizen_id(value: str) -> str:
    """Return a citizen ID as 1-2345-67890-12-3."""
    return format_citizen_id(value)


@register.filter
def citizen_id_masked(value: str) -> str:
    """Return a citizen ID as 1-2345-67xxx-xx-3."""
    return mask_citizen_id(value)


@register.filter
def grade_label(value) -> str:
    """Return a grade code's label (ป.4 for 07P4)."""
    return str(dict(Grade.choices).get(value, value))


@register.filter
def time_until(value, now=None) -> str:
    """Return the time from now until a moment, in two units at most: 3 ชั่วโมง 59 นาที (Django's
    Thai catalogue leaves timeuntil in English)."""
    if not value:
        return ""
    now = now or timezone.now()
    minutes = max(int((value - now).total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    thai = (translation.get_language() or "th").startswith("th")
    units = (
        (("วัน", "day", "days"), days),
        (("ชั่วโมง", "hour", "hours"), hours),
        (("นาที", "minute", "minutes"), minutes),
    )
    parts = [
        f"{n} {names[0]}" if thai else f"{n} {names[1] if n == 1 else names[2]}"
        for names, n in units
        if n
    ][:2]
    return " ".join(parts) if parts else ("0 นาที" if thai else "0 minutes")


@register.filter
def whole_minutes(value: datetime.timedelta | None) -> int:
    """Return a duration in whole minutes (django-axes's cool-off time on the locked-out page)."""
    return int(value.total_seconds() // 60) if value else 0


@register.filter
def whole_words(value) -> str:
    """Keep each word of a name on one line: Thai has no spaces between words, so a narrow cell
    may otherwise break "วัดป่าแดด" inside the name; the name still wraps at its spaces (needs
    the record's .nw style)."""
    return format_html_join(" ", '<span class="nw">{}</span>', ((w,) for w in str(value).split()))
