"""Use cases: one function per user action; each owns its transaction and audit row."""


class ServiceError(Exception):
    """An action was refused for a reason the user can fix; the message is safe to show."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
