"""The rows of a report table as HTML, rendered in one pass: a table of an area office's schools
has thousands of cells, and a template node per cell (an ``if`` and ``intcomma`` each) made its
rendering most of the page's time."""

import html
from decimal import Decimal
from urllib.parse import quote

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils.formats import get_format
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeData, SafeString, mark_safe
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


def _text(value) -> str:
    # conditional_escape's output without its per-call checks (the cells are thousands).
    if isinstance(value, SafeData):
        return value
    return html.escape(str(value))


def _cells(row, number, tag: str) -> str:
    # Text as text (escaped), anything else as a number, as the per-cell template did.
    return "".join(
        f"<{tag}>{_text(cell)}</{tag}>"
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


@register.simple_tag
def school_allocation_links(schools, year: int, term: int, limit: int = 500) -> SafeString:
    """Return a link to each school's allocation page (its code), " · " between them: the URL
    reversed once, each school's code put in its place."""
    marker = "~code~"  # "~" is never quoted in a path
    safe = RFC3986_SUBDELIMS + "/~:@"  # what reverse leaves unquoted in an argument
    prefix, suffix = reverse("census:school_allocation", args=[marker, year, term]).split(marker)
    return mark_safe(  # noqa: S308 — the codes are escaped
        " · ".join(
            f'<a href="{html.escape(prefix + quote(s["code"], safe=safe) + suffix)}">'
            f"{html.escape(s['code'])}</a>"
            for s in schools[:limit]
        )
    )


@register.simple_tag
def area_options(areas, chosen=None) -> SafeString:
    """Return an ``<option>`` per area office (code and Thai name), the chosen one selected: one
    pass, as the nation's list has hundreds."""
    chosen_pk = chosen.pk if chosen is not None else None
    return mark_safe(  # noqa: S308 — every value is escaped
        "".join(
            f'<option value="{html.escape(a.code)}"{" selected" if a.pk == chosen_pk else ""}>'
            f"{html.escape(a.code)} {html.escape(a.name_th)}</option>"
            for a in areas
        )
    )
