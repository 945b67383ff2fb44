"""The back office as the IVR sees it (implements ivr.ports.HotlineDesk)."""
