"""The learner page's growth charts: height and weight at each measurement, oldest first."""

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from census.charts import line_chart
from schools.templatetags.thai import thai_date

register = template.Library()


@register.simple_tag
def growth_chart(measurements, figure: str) -> SafeString:
    """Return the line of a learner's height ("height") or weight ("weight") over their
    measurements (the page's list, newest first), as an inline SVG; nothing for fewer than two."""
    ordered = sorted(measurements, key=lambda m: m.measured_on)
    if len(ordered) < 2:
        return SafeString("")
    height = figure == "height"
    return line_chart(
        labels=[thai_date(m.measured_on) for m in ordered],
        values=[float(m.height_cm if height else m.weight_kg) for m in ordered],
        title=_("Height") if height else _("Weight"),
        unit=_("cm") if height else _("kg"),
        colour="#1a3e72" if height else "#c8102e",
    )
