"""Logging filters: keep citizen IDs out of every log line.

A citizen ID is 13 digits, written bare, grouped (1-2345-67890-12-3) or in Thai digits. The filter
is attached to the handlers in ``settings.LOGGING``, so that it sees every record, including the
ones that propagate from other loggers, and masks the message, its arguments and the traceback.
"""

import logging

from schools.identifiers import mask_citizen_ids_in

MASK = "#############"


def mask_citizen_ids(text: str) -> str:
    """Return the text with every 13-digit sequence replaced by a fixed mask."""
    return mask_citizen_ids_in(text, MASK)


class MaskCitizenIds(logging.Filter):
    """Replace every 13-digit sequence in a record by a mask; never drop a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record for the handler to report
            return True
        masked = mask_citizen_ids(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_citizen_ids(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_citizen_ids(record.stack_info)
        return True
