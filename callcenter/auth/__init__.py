"""Authentication: argon2 password hashes, opaque bearer tokens, users and roles."""
