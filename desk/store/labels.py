"""Labels: admins keep the list (name and colour); agents put them on conversations; the queue filters by them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from desk.db import ACTIVE, Escalation, EscalationLabel, Label
from desk.errors import InvalidInputError
from desk.store.escalations import EscalationRecords
from desk.store.records import _clean, label_dict

COLORS = ("grey", "red", "orange", "yellow", "green", "blue", "purple", "pink")
MAX_NAME = 48
MAX_LABELS = 10  # on one conversation


def _checked(name: str, color: str) -> tuple[str, str]:
    name = " ".join(_clean(name, "label name").split())
    if len(name) > MAX_NAME:
        raise InvalidInputError(f"the label name has {len(name)} characters; the limit is {MAX_NAME}")
    if color not in COLORS:
        raise InvalidInputError(f"the colour must be one of {', '.join(COLORS)}, not {color!r}")
    return name, color


class LabelRecords(EscalationRecords):
    """Labels: admins keep the list (name and colour); agents put them on conversations; the queue filters by them."""

    def labels(self) -> list[dict[str, Any]]:
        """Every label, by name, with how many waiting or claimed conversations carry it now."""
        with self.session() as s:
            open_counts = dict(s.execute(
                select(EscalationLabel.label_id, func.count())
                .join(Escalation, Escalation.id == EscalationLabel.escalation_id)
                .where(Escalation.status.in_(ACTIVE)).group_by(EscalationLabel.label_id)).tuples().all())
            return [{**label_dict(label), "open": int(open_counts.get(label.id, 0))}
                    for label in s.scalars(select(Label).order_by(func.lower(Label.name))).all()]

    def create_label(self, name: str, color: str = "grey") -> dict[str, Any]:
        """Add a label (InvalidInputError for a bad name or colour, ConflictError for a name taken in any case)."""
        name, color = _checked(name, color)
        with self.session() as s:
            self._name_free(s, Label, name, "label")
            label = Label(name=name, color=color)
            s.add(label)
            s.flush()
            self._event(s, "label", label.id)
            return {**label_dict(label), "open": 0}

    def update_label(self, label_id: int, name: str, color: str) -> dict[str, Any]:
        """Rename or recolour a label; the conversations carrying it show the change live."""
        name, color = _checked(name, color)
        with self.session() as s:
            label = self._get(s, Label, label_id, "label")
            self._name_free(s, Label, name, "label", other_than=label_id)
            label.name, label.color = name, color
            self._event(s, "label", label_id)
            self._touch_carriers(s, label_id)
            return label_dict(label)

    def delete_label(self, label_id: int) -> None:
        """Remove a label from the list and from every conversation."""
        with self.session() as s:
            label = self._get(s, Label, label_id, "label")
            self._touch_carriers(s, label_id)
            s.execute(delete(EscalationLabel).where(EscalationLabel.label_id == label_id))
            s.delete(label)
            self._event(s, "label", label_id)

    def _touch_carriers(self, s: Session, label_id: int) -> None:
        """An escalation event for each active conversation carrying the label, so every desk redraws it."""
        for escalation_id in s.scalars(
                select(EscalationLabel.escalation_id).join(Escalation, Escalation.id == EscalationLabel.escalation_id)
                .where(EscalationLabel.label_id == label_id, Escalation.status.in_(ACTIVE))).all():
            self._event(s, "escalation", escalation_id)

    def set_labels(self, escalation_id: int, agent_id: int, label_ids: list[int]) -> dict[str, Any]:
        """Make these the conversation's labels (any agent, any state: labelling after resolve is common)."""
        wanted = list(dict.fromkeys(label_ids))
        if len(wanted) > MAX_LABELS:
            raise InvalidInputError(f"{len(wanted)} labels; a conversation takes at most {MAX_LABELS}")
        with self.session() as s:
            self._load(s, escalation_id)
            known = set(s.scalars(select(Label.id).where(Label.id.in_(wanted))).all()) if wanted else set()
            missing = [i for i in wanted if i not in known]
            if missing:
                raise InvalidInputError(f"no label {', '.join(map(str, missing))}")
            have = set(s.scalars(select(EscalationLabel.label_id)
                                 .where(EscalationLabel.escalation_id == escalation_id)).all())
            gone = have - set(wanted)
            if gone:
                s.execute(delete(EscalationLabel).where(EscalationLabel.escalation_id == escalation_id,
                                                        EscalationLabel.label_id.in_(gone)))
            s.add_all(EscalationLabel(escalation_id=escalation_id, label_id=i, agent_id=agent_id)
                      for i in wanted if i not in have)
            self._event(s, "escalation", escalation_id)
        return self.get_escalation(escalation_id)
