"""The queue and one hand-over: read, claim, reply, note, transfer, resolve."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, BackgroundTasks
from pydantic import BaseModel, Field

from console.api.models import (
    EscalationDetailOut,
    EscalationOut,
    FaqProposalOut,
    MessageOut,
    NoteOut,
    QueueOut,
    RatingOut,
    SuggestionsOut,
    errors,
)
from console.core.rasa import RasaClient
from console.deps import AgentDep, CuratorDep, RasaDep, StoreDep
from desk.errors import ConflictError, DeskError
from kefu.pii import mask

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["escalations"], responses=errors(401, 403))


class TextIn(BaseModel):
    """A reply or a note."""

    text: str = Field(min_length=1, max_length=4000)


class FaqProposalIn(BaseModel):
    """The customer's question and the answer the agent gave, as the agent edited them for the knowledge base."""

    question: str = Field(min_length=2, max_length=500)
    answer: str = Field(min_length=2, max_length=4000)


class TransferIn(BaseModel):
    """Whom to hand the conversation to."""

    agent_id: int


async def tell_bot(rasa: RasaClient, conversation_id: str, intent: str, entities: dict[str, Any] | None = None) -> None:
    """Send an external event after the response; a failure is logged (replies are redelivered by the outbox)."""
    try:
        await rasa.trigger(conversation_id, intent, entities)
    except DeskError as exc:
        logger.warning("%s", exc)


@router.get("/queue", response_model=QueueOut)
def read_queue(agent: AgentDep, store: StoreDep, label: int | None = None) -> dict[str, Any]:
    """Waiting and claimed hand-overs, most urgent first (with `label`, only those carrying it; positions stay
    those of the whole queue), and how many agents are online."""
    return {"escalations": store.queue(label_id=label), "agents_online": store.agents_online()}


@router.get("/escalations/{escalation_id}", response_model=EscalationDetailOut, responses=errors(404))
def read_escalation(escalation_id: int, agent: AgentDep, store: StoreDep) -> dict[str, Any]:
    """One hand-over with its summary, transcript and notes."""
    return store.detail(escalation_id)


@router.get("/escalations/{escalation_id}/suggestions", response_model=SuggestionsOut, responses=errors(404))
def read_suggestions(escalation_id: int, agent: AgentDep, store: StoreDep, curator: CuratorDep) -> dict[str, Any]:
    """The knowledge base's top entries for the customer's latest question, answers in the customer's language."""
    escalation = store.get_escalation(escalation_id)
    question = store.latest_question(escalation_id)
    # Masked before it is searched or shown: personal data is neither what the customer asks about nor for display.
    question = mask(question) if question else None
    return {"question": question,
            "suggestions": curator.suggest(question, escalation["language"]) if question else []}


@router.post("/escalations/{escalation_id}/save-as-faq", response_model=FaqProposalOut, status_code=201,
             responses=errors(404, 409, 503))
def save_as_faq(escalation_id: int, body: FaqProposalIn, agent: AgentDep, store: StoreDep,
                curator: CuratorDep) -> dict[str, Any]:
    """After a resolved hand-over, propose its question and the agent's answer for the knowledge base: they go to
    the review queue (clustered with customers' questions), where ops staff turn them into an entry."""
    escalation = store.get_escalation(escalation_id)
    if escalation["status"] != "resolved":
        raise ConflictError(f"escalation {escalation_id} is {escalation['status']}: resolve it first")
    item_id, cluster_id = curator.propose(body.question.strip(), body.answer.strip(), escalation,
                                          agent["display_name"])
    return {"item_id": item_id, "cluster_id": cluster_id}


@router.post("/escalations/{escalation_id}/claim", response_model=EscalationOut, responses=errors(404, 409))
def claim_escalation(escalation_id: int, agent: AgentDep, store: StoreDep, rasa: RasaDep,
                     tasks: BackgroundTasks) -> dict[str, Any]:
    """Take a waiting hand-over; exactly one agent wins (409 for the others). The customer hears who joined."""
    escalation = store.claim(escalation_id, agent["id"])
    tasks.add_task(tell_bot, rasa, escalation["conversation_id"], "EXTERNAL_queue_update")
    return escalation


@router.post("/escalations/{escalation_id}/reply", response_model=MessageOut, responses=errors(404, 409))
def create_reply(escalation_id: int, body: TextIn, agent: AgentDep, store: StoreDep, rasa: RasaDep,
                 tasks: BackgroundTasks) -> dict[str, Any]:
    """Store the reply (persisted before anything else), then have the bot send it on the customer's channel."""
    message = store.add_agent_message(escalation_id, agent["id"], body.text)
    tasks.add_task(tell_bot, rasa, message.pop("conversation_id"), "EXTERNAL_agent_reply",
                   {"desk_message_id": message["id"]})
    return message


@router.post("/escalations/{escalation_id}/notes", response_model=NoteOut, responses=errors(404))
def create_note(escalation_id: int, body: TextIn, agent: AgentDep, store: StoreDep) -> dict[str, Any]:
    """An internal note (customers never see it)."""
    return store.add_note(escalation_id, agent["id"], body.text)


@router.post("/escalations/{escalation_id}/transfer", response_model=EscalationOut, responses=errors(404, 409))
def transfer_escalation(escalation_id: int, body: TransferIn, agent: AgentDep, store: StoreDep) -> dict[str, Any]:
    """Hand a hand-over you hold to another agent."""
    return store.transfer(escalation_id, agent["id"], body.agent_id)


@router.post("/escalations/{escalation_id}/resolve", response_model=EscalationOut, responses=errors(404, 409))
def resolve_escalation(escalation_id: int, agent: AgentDep, store: StoreDep, rasa: RasaDep,
                       tasks: BackgroundTasks) -> dict[str, Any]:
    """End the hand-over; the bot takes the conversation back and asks the customer for a rating."""
    escalation = store.resolve(escalation_id, agent["id"])
    tasks.add_task(tell_bot, rasa, escalation["conversation_id"], "EXTERNAL_handoff_ended")
    return escalation


@router.get("/ratings", response_model=list[RatingOut])
def read_ratings(agent: AgentDep, store: StoreDep) -> list[dict[str, Any]]:
    """Satisfaction ratings, newest first."""
    return store.ratings()
