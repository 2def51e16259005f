"""The count calendar's default dates. Rounds as data (census.Round) override these per year."""

from datetime import date

# Round number → (month, day, year offset from the academic year's first calendar year).
DEFAULT_AS_OF = {1: (6, 10, 0), 2: (11, 10, 0), 3: (4, 30, 1)}
ACADEMIC_YEAR_STARTS = (5, 16)  # 16 May


def academic_year_of(day: date) -> int:
    """Return the Buddhist year of the academic year a date falls in (it begins on 16 May)."""
    start = date(day.year, *ACADEMIC_YEAR_STARTS)
    return (day.year if day >= start else day.year - 1) + 543


def academic_year_start(year_be: int) -> date:
    """Return the first day of an academic year given in the Buddhist era."""
    return date(year_be - 543, *ACADEMIC_YEAR_STARTS)


def default_as_of(year_be: int, round_no: int) -> date:
    """Return the default as-of date of a round of an academic year (Buddhist era)."""
    month, day, offset = DEFAULT_AS_OF[round_no]
    return date(year_be - 543 + offset, month, day)


def next_default_count_day(today: date) -> date:
    """Return the next default count day on or after a date."""
    year = academic_year_of(today)
    candidates = [default_as_of(y, r) for y in (year, year + 1) for r in (1, 2, 3)]
    return min(d for d in candidates if d >= today)
