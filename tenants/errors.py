class DomainError(Exception):
    """A business rule was broken. The message says what happened and what to do instead.

    ``field`` names the input it concerns, when there is one: the API maps it to a per-field
    error, forms to a field message.
    """

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
