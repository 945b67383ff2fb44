"""Outbound and inbound SMS: a provider port, Chinese templates, a Twilio adapter, webhook helpers.

Nothing here touches the database or the web app; the service layer wires these pieces together.
"""
