"""Written intake (SMS, fax): text from outside becomes a draft order or a supplement."""
