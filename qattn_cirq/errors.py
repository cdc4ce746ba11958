"""The one exception type for bad user input.

Library code raises :class:`QattnInputError` with a one-line message that names the offending
parameter and its allowed range; the CLI prints that line and exits with code 2 (no traceback).
It subclasses ``ValueError`` so Python callers can treat it as one.
"""


class QattnInputError(ValueError):
    """Bad input from a user: a one-line message that names the parameter and what is allowed."""
