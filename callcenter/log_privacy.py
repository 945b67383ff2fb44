"""No phone number reaches a log line whole: a filter on the process's log handlers masks them.

Code masks the numbers it logs on purpose (`mask_phone`); this catches the ones it does not know it
logs: an exception's message, a channel name in an AMI error, a query string in the access log.
"""

from __future__ import annotations

import logging

from callcenter.sms.privacy import mask_numbers


class MaskPhoneNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = mask_numbers(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:  # format the traceback once, masked
            record.exc_text = mask_numbers(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask_numbers(record.exc_text)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Mask numbers on every handler of ``logger`` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, MaskPhoneNumbers) for f in handler.filters):
            handler.addFilter(MaskPhoneNumbers())
