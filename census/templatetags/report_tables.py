"""The rows of a report table as HTML, rendered in one pass: a table of an area office's schools
has thousands of cells, and a template node per cell (an ``if`` and ``intcomma`` each) made its
rendering most of the page's time."""

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import get_format
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()


def _number_formatter():
    """Return a function that writes a number as ``intcomma`` does in the active language: the
    fast path where it groups by three with "," and "." (Thai and English), ``intcomma`` else."""
    plain = (
        get_format("THOUSAND_SEPARATOR") == ","
        and get_format("DECIMAL_SEPARATOR") == "."
        and get_format("NUMBER_GROUPING") == 3
    )

    def number(value) -> str:
        if plain and type(value) is int:
            return format(value, ",d")
        if plain and isinstance(value, Decimal) and value.is_finite():
            return format(value, ",f")
        return conditional_escape(intcomma(value))

    return number


def _cells(row, number, tag: str) -> str:
    # Text as text (escaped), anything else as a number, as the per-cell template did.
    return "".join(
        f"<{tag}>{conditional_escape(cell)}</{tag}>"
        if isinstance(cell, str | Promise)
        else f"<{tag}>{number(cell)}</{tag}>"
        for cell in row
    )


@register.simple_tag
def table_rows(rows, limit: int | None = None, empty_colspan: int = 1) -> SafeString:
    """Return the first ``limit`` rows as ``<tr>``s of ``<td>``s (text escaped, numbers grouped
    by thousands), or one "Nothing to show." row."""
    number = _number_formatter()
    shown = rows[:limit] if limit is not None else rows
    if not shown:
        return format_empty(gettext("Nothing to show."), empty_colspan)
    return mark_safe(  # noqa: S308 — every cell is escaped or a formatted number
        "".join(f"<tr>{_cells(row, number, 'td')}</tr>" for row in shown)
    )


@register.simple_tag
def table_total(total) -> SafeString:
    """Return a table's total row as ``<th>``s, numbers (and text) as ``intcomma`` writes them."""
    number = _number_formatter()
    return mark_safe(  # noqa: S308 — every cell is escaped or a formatted number
        "".join(f"<th>{number(cell)}</th>" for cell in total)
    )


def format_empty(text: str, colspan: int) -> SafeString:
    return mark_safe(  # noqa: S308 — the text is escaped
        f'<tr><td colspan="{int(colspan)}">{conditional_escape(text)}</td></tr>'
    )
