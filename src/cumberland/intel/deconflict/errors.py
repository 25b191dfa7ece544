"""The one error of deconfliction: a one-line message, raised before anything is revealed."""


class DeconflictError(ValueError):
    """A file that is truncated, altered, replayed, too large, of another version or from an
    agency not trusted here; a case not approved; a missing key. The message is one line."""
