"""Errors of reading data, each saying what went wrong, where, and what to do."""


class DataError(Exception):
    """The data cannot be read or used as asked; the message names the file/column and the fix."""


class IdentifierColumn(DataError):
    """An integer column whose values do not fit a float64 exactly (beyond 2**53): ids or hashes.

    Such a column is not a distribution to compare; the check reports it as an identifier and
    judges every other column.
    """
