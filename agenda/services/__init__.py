"""The verbs of the app. They own their transactions; views and the CLI call only these."""


class ServiceError(Exception):
    """A refusal a user can act on; `field` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
