"""Small checks that several services share: a reason that must be given, a number or a date a
person typed, an image's bytes."""

import io
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from .identifiers import THAI_DIGITS
from .models import Grade

# Magic bytes → (content type, file suffix, the format Pillow must recognise).
IMAGE_TYPES = {
    b"\xff\xd8\xff": ("image/jpeg", ".jpg", "JPEG"),
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png", "PNG"),
}


def check_reason(text: str, *, field: str = "reason", max_length: int = 500) -> str:
    """Return a reason stripped and cut to length; refuse one shorter than 5 characters."""
    text = (text or "").strip()
    if len(text) < 5:
        raise ValidationError({field: _("Give a reason of at least 5 characters.")})
    return text[:max_length]


def decimal_from_text(text: str, *, places: Decimal = Decimal("0.1")) -> Decimal:
    """Return a number as a person typed it (Thai digits, a decimal comma) rounded to ``places``;
    raise InvalidOperation for anything that is not a finite number ("NaN", "Infinity", "1e999")."""
    value = Decimal(str(text).translate(THAI_DIGITS).replace(",", ".").strip())
    if not value.is_finite():
        raise InvalidOperation
    return value.quantize(places)


def is_finite(value) -> bool:
    """Return whether a value is a finite number (not NaN, sNaN or ±Infinity)."""
    try:
        return Decimal(value).is_finite()
    except (InvalidOperation, TypeError, ValueError):
        return False


def image_type(data: bytes) -> tuple[str, str] | None:
    """Return (content type, suffix) of a JPEG or PNG whose bytes Pillow opens and verifies as the
    format its magic bytes claim; None for anything else (damaged, renamed, a decompression bomb)."""
    for magic, (content_type, suffix, pil_format) in IMAGE_TYPES.items():
        if not data.startswith(magic):
            continue
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.format != pil_format:
                    return None
                image.verify()
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombError,
        ):
            return None
        return content_type, suffix
    return None


def check_grade_taught(*, school, grade: str) -> None:
    """Refuse a grade the school does not teach (a ม.4 at a primary school)."""
    if not school.teaches(grade):
        labels = {
            "grade": Grade(grade).label,
            "low": Grade(school.lowest_grade).label,
            "high": Grade(school.highest_grade).label,
        }
        raise ValidationError(
            {"grade": _("This school teaches %(low)s–%(high)s: it has no %(grade)s.") % labels}
        )


def check_birth_date(value: date, *, today: date | None = None) -> None:
    """Refuse a birth date after ``today`` (by default the date in Bangkok now) or before 1950."""
    if value > (today or timezone.localdate()) or value.year < 1950:
        raise ValidationError(_("The birth date is not valid."), code="birth_date")


BE_OFFSET = 543
# A year from 2400 on is a Buddhist-era year: no date kept here is in 2400 CE (= 2943 BE).
FIRST_BE_YEAR = 2400


def christian_year(year: int) -> int:
    """Return the Christian year of a year a person typed in either era (from 2400: Buddhist)."""
    return year - BE_OFFSET if year >= FIRST_BE_YEAR else year


DAY_FIRST = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
# A spreadsheet may give a date as text with its midnight: "2026-06-01 00:00:00".
YEAR_FIRST = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T][\d:.]*)?")


def date_from_text(text: str) -> date:
    """Read a date as people type it: day/month/year in the Buddhist era ("10/11/2569", Thai
    digits too, "/", "." or "-" between), the browser picker's 2026-11-10, or either with the other
    era's year (a year from 2400 on is Buddhist). Raise ValidationError saying what to type."""
    text = text.strip().translate(THAI_DIGITS)
    if match := DAY_FIRST.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := YEAR_FIRST.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    else:
        example = timezone.localdate()
        raise ValidationError(
            _("Type the date as day/month/year of the Buddhist era, e.g. %(example)s.")
            % {"example": f"{example.day}/{example.month}/{example.year + BE_OFFSET}"},
            code="invalid",
        )
    year = christian_year(year)
    try:
        return date(year, month, day)
    except ValueError:
        raise ValidationError(
            _("There is no day %(day)s in month %(month)s of %(year)s.")
            % {"day": day, "month": month, "year": year + BE_OFFSET},
            code="no_such_day",
        ) from None
