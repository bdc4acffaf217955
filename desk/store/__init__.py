"""Every read and write of the handoff desk, one module per kind of record; each write appends a desk event in the
same transaction (events.py), which the consoles tail."""

from __future__ import annotations

from desk.store.agents import AgentRecords
from desk.store.assignment import AssignmentRecords
from desk.store.canned import CannedReplies
from desk.store.compensation import CompensationRecords, compensation_dict
from desk.store.contacts import ContactRecords
from desk.store.events import EventFeed
from desk.store.identities import IdentityRecords, OpenMatters
from desk.store.labels import LabelRecords
from desk.store.messages import MessageRecords
from desk.store.ratings import RatingRecords
from desk.store.records import MAX_TEXT, ROLES, agent_dict, hash_token, message_dict, note_dict, ticket_dict
from desk.store.reports import CompensationFacts, EscalationFacts, RatingFacts, ReportRecords
from desk.store.sla import SlaRecords
from desk.store.teams import TeamRecords
from desk.store.tickets import TicketRecords

__all__ = ["MAX_TEXT", "ROLES", "CompensationFacts", "DeskStore", "EscalationFacts", "OpenMatters", "RatingFacts",
           "agent_dict", "compensation_dict", "hash_token", "message_dict", "note_dict", "ticket_dict"]


class DeskStore(MessageRecords, EventFeed, RatingRecords, TicketRecords, AgentRecords, CannedReplies,
                ReportRecords, AssignmentRecords, LabelRecords, SlaRecords, TeamRecords, ContactRecords,
                CompensationRecords, IdentityRecords):
    """The desk's tables in the conversation database, shared by the action server and every console."""
