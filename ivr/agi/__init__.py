"""FastAGI wire protocol (pure codec in :mod:`ivr.agi.codec`; no sockets here)."""
