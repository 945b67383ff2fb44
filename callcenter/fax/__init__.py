"""Fax intake: Asterisk ReceiveFAX TIFF pages to PNG/PDF, and Chinese OCR of them with tesseract."""
