"""Asterisk Manager Interface (AMI): wire codec and, later, the client built on it."""
