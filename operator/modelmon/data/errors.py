"""Errors of reading data, each saying what went wrong, where, and what to do."""


class DataError(Exception):
    """The data cannot be read or used as asked; the message names the file/column and the fix."""
