"""Rasa's NLU in a pool of worker processes, awaited from Rasa's event loop.

Rasa 3.6 runs its NLU graph (jieba, the featurizers, DIET, the sentiment model, KB-aware routing and its HTTP call
to `/kb/signal`) synchronously on the event loop that serves every customer: one customer's parse, and the KB
lookup inside it, holds up every other conversation, and the process uses one core. Here each worker process loads
only the NLU part of the trained model (`minimal_graph_schema` of the NLU target) and parses messages; Rasa's
process keeps channels, locks, trackers, policies and actions, and loads only the dialogue part of the graph.

Workers take messages from one shared queue, so a worker that waits on a slow `/kb/signal` holds up only the
message it parses: the next message goes to a free worker. A worker that dies (killed, out of memory) breaks the
pool: it is started again and the message parsed once more.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

logger = logging.getLogger(__name__)
# How long start-up waits for every worker to load the NLU graph (DIET's load traces TensorFlow functions).
LOAD_TIMEOUT_S = 600.0


class NluPoolError(RuntimeError):
    """The NLU workers could not start or parse."""


# --- in each worker process -------------------------------------------------------------------------------------
_worker: Dict[str, Any] = {}


def _load_worker(model_tar: str, barrier: Any) -> None:
    """Load the NLU part of the model (once, as the worker starts)."""
    # One thread each: the workers are the parallelism, and they share the cores with Rasa and the action server.
    for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    # The unpacked archive is needed only while the components load (Rasa's own loader removes it likewise).
    with tempfile.TemporaryDirectory(prefix="kefu-nlu-") as storage:
        model_storage, metadata = LocalModelStorage.from_model_archive(
            storage_path=Path(storage), model_archive_path=Path(model_tar))
        schema = metadata.predict_schema.minimal_graph_schema([metadata.nlu_target])
        _worker["runner"] = DaskGraphRunner.create(
            graph_schema=schema, model_storage=model_storage,
            execution_context=ExecutionContext(graph_schema=schema, model_id=metadata.model_id))
    _worker["target"] = metadata.nlu_target
    _worker["barrier"] = barrier


def _wait_until_all_loaded() -> int:
    """Block until every worker has loaded (each takes exactly one of these calls); the worker's pid."""
    _worker["barrier"].wait(LOAD_TIMEOUT_S)
    return os.getpid()


def parse_in_worker(text: Optional[str], message_id: Optional[str], metadata: Optional[Dict[str, Any]],
                    only_output_properties: bool = True) -> Dict[str, Any]:
    """MessageProcessor._parse_message_with_graph, in a worker."""
    from rasa.core.channels import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT

    message = UserMessage(text, message_id=message_id, metadata=metadata)
    # No NLU component of ours reads the tracker; Rasa passes an empty one when it has none either.
    tracker = DialogueStateTracker.from_events(message.sender_id, [])
    target = _worker["target"]
    results = _worker["runner"].run(inputs={PLACEHOLDER_MESSAGE: [message], PLACEHOLDER_TRACKER: tracker},
                                    targets=[target])
    parse_data: Dict[str, Any] = {
        TEXT: "", INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, ENTITIES: []}
    parse_data.update(results[target][0].as_dict(only_output_properties=only_output_properties))
    return parse_data


# --- in Rasa's process ------------------------------------------------------------------------------------------
class NluPool:
    """Worker processes that each hold the NLU graph of one model archive."""

    def __init__(self, model_tar: Path, workers: int) -> None:
        self.model_tar = Path(model_tar)
        self.workers = max(1, workers)
        self._executor: Optional[concurrent.futures.ProcessPoolExecutor] = None
        self._lock = threading.Lock()
        # Held while broken workers are replaced: messages that arrive meanwhile wait for the new ones.
        self._restarting = threading.Lock()
        self._closed = False

    def start(self) -> Tuple[int, ...]:
        """Start the workers and wait until each has loaded the model; their pids."""
        return self.wait_ready(self.launch())

    def launch(self) -> Any:
        """Start the workers loading (returns at once); pass the result to wait_ready."""
        context = multiprocessing.get_context("spawn")  # fork would copy TensorFlow's threads half-alive
        barrier = context.Barrier(self.workers)
        executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_load_worker,
            initargs=(str(self.model_tar), barrier))
        return executor, [executor.submit(_wait_until_all_loaded) for _ in range(self.workers)]

    def wait_ready(self, launched: Any) -> Tuple[int, ...]:
        """Wait until every launched worker has loaded the model; their pids."""
        executor, futures = launched
        try:
            pids = tuple(f.result(timeout=LOAD_TIMEOUT_S) for f in futures)
        except Exception as exc:
            executor.shutdown(wait=False, cancel_futures=True)
            raise NluPoolError(f"NLU workers failed to load {self.model_tar}: {exc!r}") from exc
        with self._lock:
            self._executor = executor
        logger.info("NLU runs in %d worker processes (pids %s)", self.workers, ", ".join(map(str, pids)))
        return pids

    async def parse(self, text: Optional[str], message_id: Optional[str], metadata: Optional[Dict[str, Any]],
                    only_output_properties: bool = True) -> Dict[str, Any]:
        """Parse one message in a free worker, awaited (the event loop serves other customers meanwhile)."""
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            executor = self._executor
            if executor is None and not self._closed:
                await loop.run_in_executor(None, self._wait_for_restart)
                executor = self._executor
            if executor is None:
                raise NluPoolError("the NLU workers are not running")
            try:
                return await loop.run_in_executor(executor, parse_in_worker, text, message_id, metadata,
                                                  only_output_properties)
            except concurrent.futures.process.BrokenProcessPool:
                if attempt == 2:
                    raise
                logger.error("an NLU worker died; starting the workers again")
                await loop.run_in_executor(None, self._restart, executor)
        raise AssertionError("unreachable")

    def _wait_for_restart(self) -> None:
        with self._restarting:
            pass

    def _restart(self, broken: concurrent.futures.ProcessPoolExecutor) -> None:
        """Replace a broken executor: once, however many messages saw it break; they all wait for it."""
        with self._restarting:
            with self._lock:
                if self._executor is not broken:
                    return  # already replaced while this message waited
                self._executor = None
            broken.shutdown(wait=False, cancel_futures=True)
            self.start()

    def close(self) -> None:
        """Stop the workers."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
