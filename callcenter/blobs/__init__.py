"""Files the server stored itself (recordings, faxes, uploads), named by opaque ids.

files.py: the bytes on disk (areas, name grammars, the database guard); sniff.py: what an upload
is; repository.py: the table; service.py: storing, referencing and opening; download.py: serving
bytes (with ranges); http.py: the API routes.
"""
