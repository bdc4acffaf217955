"""Errors of the handoff desk; the console maps them to HTTP statuses, actions to honest replies."""

from __future__ import annotations


class DeskError(Exception):
    """Base of every handoff-desk error."""


class NotFoundError(DeskError):
    """The escalation, ticket or agent does not exist."""


class ConflictError(DeskError):
    """The escalation is not in a state that allows this (claimed by another agent, already resolved)."""


class ForbiddenError(DeskError):
    """The agent may not act on this escalation without a transfer."""


class InvalidInputError(DeskError):
    """Input the desk will not store (empty or oversized text, an unknown role)."""


class DeskUnavailableError(DeskError):
    """The desk's database could not be reached or is locked; nothing was written, the caller may retry."""


class RasaUnavailableError(DeskError):
    """The Rasa server did not accept an external event; the message stays queued for a retry."""


class FileRejectedError(DeskError):
    """An upload the desk will not keep: too large, empty, of a type it does not take, or not what its name says."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
