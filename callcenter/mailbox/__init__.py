"""The service mailbox (政企服务邮箱): IMAP intake into drafts or supplements, SMTP replies."""
