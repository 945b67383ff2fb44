"""Storage errors with stable error ids (mapped to HTTP in callcenter/http/problems.py)."""

from __future__ import annotations


class StorageError(Exception):
    error_id = "storage-error"
    title = "Storage error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class OrderNotFound(StorageError):
    error_id = "order-not-found"
    title = "No such order"

    def __init__(self, number: str) -> None:
        super().__init__(f"no order {number!r}")
        self.number = number


class VersionConflict(StorageError):
    error_id = "version-conflict"
    title = "The order has changed"

    def __init__(self, number: str, expected: int) -> None:
        super().__init__(f"order {number} is no longer at version {expected}; reload it and try again")
        self.number = number
        self.expected = expected


class DuplicateUser(StorageError):
    error_id = "duplicate-user"
    title = "User exists"

    def __init__(self, username: str) -> None:
        super().__init__(f"user {username!r} already exists")


class CallNotFound(StorageError):
    error_id = "call-not-found"
    title = "No such call"

    def __init__(self, linkedid: str) -> None:
        super().__init__(f"no call record {linkedid!r}")


class UserNotFound(StorageError):
    error_id = "user-not-found"
    title = "No such user"

    def __init__(self, username: str) -> None:
        super().__init__(f"no user {username!r}")
        self.username = username


class NoAdminLeft(StorageError):
    """The change would leave no active administrator: nobody could manage users any more."""

    error_id = "last-admin"
    title = "The last administrator"

    def __init__(self, username: str) -> None:
        super().__init__(f"{username!r} is the last active administrator; make another user admin first")
        self.username = username
