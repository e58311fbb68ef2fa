"""The one way the CLI fails: a one-line message and a non-zero exit code."""


class CliError(Exception):
    """Printed as `v1reg: <message>`; the process exits with status 1."""
