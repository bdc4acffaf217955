"""The knowledge base's exceptions: one tree, so callers can catch KnowledgeBaseError at the boundary."""

from __future__ import annotations


class KnowledgeBaseError(Exception):
    """Base class of every knowledge-base error."""


class ModelSetupError(KnowledgeBaseError):
    """The embedding model could not be converted, loaded or verified."""


class ImportFileError(KnowledgeBaseError):
    """An import file has bad rows; nothing was imported."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{path}: {len(problems)} problem(s), nothing imported:\n{shown}{more}")


class EmptyKnowledgeBaseError(KnowledgeBaseError):
    """There are no published entries to search."""


class IndexMissingError(KnowledgeBaseError):
    """No index has been built yet (run `python -m knowledge_base build-index`)."""


class EntryNotFoundError(KnowledgeBaseError):
    """No entry, revision or review cluster has the id asked for."""


class StaleEditError(KnowledgeBaseError):
    """An edit was based on an older revision than the stored one: someone else changed the entry meanwhile."""


class KnowledgeBaseUnavailableError(KnowledgeBaseError):
    """The knowledge base's database could not be reached or is locked; nothing was written."""
