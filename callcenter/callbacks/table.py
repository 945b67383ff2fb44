"""The `callback_jobs` table (migration 0005; defined with the schema in callcenter/db/tables.py)
and the job statuses."""

from callcenter.db.tables import callback_jobs

__all__ = ["ACTIVE_STATUSES", "STATUSES", "callback_jobs"]

STATUSES = ("scheduled", "dialling", "waiting_sms", "done", "unreachable", "cancelled")
ACTIVE_STATUSES = ("scheduled", "dialling", "waiting_sms")
