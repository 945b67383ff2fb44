"""The fax machine's header line, for the fax intake: the rule itself is pure and lives in
``worksheet.fax_header``, where the draft extractor uses it too."""

from worksheet.fax_header import is_machine_header, without_machine_headers

__all__ = ["is_machine_header", "without_machine_headers"]
