"""The one exception type for mistakes a user can fix (bad arguments, bad or foreign files)."""


class UserError(Exception):
    """A problem with the user's input; the command line prints its message and exits with status 2."""


class ConfigError(UserError):
    """A mistake in the pipeline's config, found before any job: `key` is the dotted path of the
    offending setting (e.g. experiments.x2_silu.seeds), and the message begins with it."""

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(f"{key}: {message}" if key else message)

    @classmethod
    def of(cls, text: str, section: str) -> "ConfigError":
        """From a message of the form "KEY: what" that names a key inside config `section`."""
        key, sep, rest = text.partition(": ")
        if sep and " " not in key:
            error = cls(key, rest)
        else:
            error = cls(section, text)
            error.args = (text,)
        return error
