"""Template filters of the signed records."""

from django import template

from documents.render import text_fits

register = template.Library()


@register.filter
def fits_line(value, width_and_size: str) -> bool:
    """Return whether the text surely fits one line of "<width>mm <size>pt" in Sarabun Regular:
    ``{% if r.name|fits_line:"57mm 10.5pt" %}``."""
    width, size = width_and_size.split()
    return text_fits(
        str(value), width_mm=float(width.removesuffix("mm")), size_pt=float(size.removesuffix("pt"))
    )
