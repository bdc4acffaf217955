"""Rasa's NLU in a pool of worker processes, awaited from Rasa's event loop.

Rasa 3.6 runs its NLU graph (jieba, the featurizers, DIET, the sentiment model, KB-aware routing and its HTTP call
to `/kb/signal`) synchronously on the event loop that serves every customer: one customer's parse, and the KB
lookup inside it, holds up every other conversation, and the process uses one core. Here each worker process loads
only the NLU part of the trained model (`minimal_graph_schema` of the NLU target) and parses messages; Rasa's
process keeps channels, locks, trackers, policies and actions, and loads only the dialogue part of the graph.

Messages queue in Rasa's process and go to the first free worker, so a worker that waits on a slow `/kb/signal`
holds up only what it parses: the next message goes to the other worker. When every worker is busy, messages
queue, and a worker that comes free takes what has queued (up to KEFU_NLU_MAX_BATCH, shared evenly between free
workers) in one run of the graph: DIET runs TensorFlow once per run (bot/diet_batch.py), so under load each
parse costs less CPU, and when it is quiet nothing waits to fill a batch. A worker that dies (killed, out of
memory) breaks the pool: it is started again and its messages parsed once more.

The workers load the model one at a time, and Rasa serves as soon as the first has (the others join as they
finish): on two cores that halves the wait for the first answer after `make run` or a crash.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import functools
import logging
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Deque, Dict, List, Optional, Tuple

from kefu.vocabulary import NLU_ALL_LOADED

logger = logging.getLogger(__name__)
# How long start-up waits for every worker to load the NLU graph (DIET's load traces TensorFlow functions).
LOAD_TIMEOUT_S = 600.0
# The most messages one worker parses in one run of the graph (KEFU_NLU_MAX_BATCH).
DEFAULT_MAX_BATCH = 2
# A message as parse() takes it: text, message id, metadata, only_output_properties.
Job = Tuple[Optional[str], Optional[str], Optional[Dict[str, Any]], bool]


class NluPoolError(RuntimeError):
    """The NLU workers could not start or parse."""


# --- in each worker process -------------------------------------------------------------------------------------
_worker: Dict[str, Any] = {}


def _load_worker(model_tar: str, loading: Any, loaded: Any) -> None:
    """Load the NLU part of the model (once, as the worker starts), one worker at a time; then say so in `loaded`."""
    # One at a time, imports included: on two cores the first worker is ready in about half the time, and Rasa
    # serves with it while the next one loads (after a crash, customers are answered again that much sooner).
    with loading:
        # One thread each: the workers are the parallelism, and they share the cores with Rasa and the action server.
        for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
            os.environ.setdefault(name, "1")
        from rasa.engine.graph import ExecutionContext
        from rasa.engine.storage.local_model_storage import LocalModelStorage

        from bot import diet_batch, feature_combine, model_load
        from bot.graph_runner import SequentialGraphRunner

        model_load.install()  # DIET builds its weights without tracing a training graph (bot/model_load.py)
        diet_batch.install()  # and predicts a batch of messages in one run of its model (bot/diet_batch.py)
        feature_combine.install()  # from features joined in one step (bot/feature_combine.py)
        # The unpacked archive is needed only while the components load (Rasa's own loader removes it likewise).
        with tempfile.TemporaryDirectory(prefix="kefu-nlu-") as storage:
            model_storage, metadata = LocalModelStorage.from_model_archive(
                storage_path=Path(storage), model_archive_path=Path(model_tar))
            schema = metadata.predict_schema.minimal_graph_schema([metadata.nlu_target])
            _worker["runner"] = SequentialGraphRunner.create(
                graph_schema=schema, model_storage=model_storage,
                execution_context=ExecutionContext(graph_schema=schema, model_id=metadata.model_id))
        _worker["target"] = metadata.nlu_target
    with loaded.get_lock():
        loaded[list(loaded).index(0)] = os.getpid()


def parse_batch_in_worker(jobs: List[Job]) -> List[Tuple[bool, Any]]:
    """Parse several messages in one run of the NLU graph; (True, parse data) or (False, the error) for each.

    Every NLU component takes a list of messages, and DIET runs its TensorFlow model once per list
    (bot/diet_batch.py): three messages together cost DIET half the CPU each of three runs of one."""
    try:
        return [(True, data) for data in _run_graph(jobs)]
    except Exception:  # one message broke the run: parse each alone, so only that one fails
        if len(jobs) == 1:
            logger.exception("NLU failed on a message")
            return [(False, f"NLU failed: {sys.exc_info()[1]!r}")]
        return [parse_batch_in_worker([job])[0] for job in jobs]


def _run_graph(jobs: List[Job]) -> List[Dict[str, Any]]:
    from rasa.core.channels import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT

    messages = [UserMessage(text, message_id=message_id, metadata=metadata) for text, message_id, metadata, _ in jobs]
    # No NLU component of ours reads the tracker; Rasa passes an empty one when it has none either.
    tracker = DialogueStateTracker.from_events(messages[0].sender_id, [])
    target = _worker["target"]
    results = _worker["runner"].run(inputs={PLACEHOLDER_MESSAGE: messages, PLACEHOLDER_TRACKER: tracker},
                                    targets=[target])
    parsed = []
    for job, message in zip(jobs, results[target], strict=True):
        parse_data: Dict[str, Any] = {
            TEXT: "", INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, ENTITIES: []}
        parse_data.update(message.as_dict(only_output_properties=job[3]))
        parsed.append(parse_data)
    return parsed


# --- in Rasa's process ------------------------------------------------------------------------------------------
@dataclass
class _Launched:
    """Workers that were started: their executor, one task each that made it start them, who has loaded."""

    executor: concurrent.futures.ProcessPoolExecutor
    probes: List[concurrent.futures.Future[Any]]
    loaded: Any  # multiprocessing Array of pids, 0 until a worker has loaded

    def pids(self) -> Tuple[int, ...]:
        """The pids of the workers that have loaded the model."""
        return tuple(pid for pid in self.loaded[:] if pid)


@dataclass
class _Waiting:
    """A message waiting for a worker, and where its parse goes."""

    job: Job
    future: asyncio.Future[Dict[str, Any]]  # on the event loop of the request that waits for it
    tries: int = 0


class NluPool:
    """Worker processes that each hold the NLU graph of one model archive.

    Messages wait in one queue in Rasa's process. A free worker takes the message at once when the others are
    idle, and under load takes what has queued meanwhile (up to `max_batch`) in one graph run, which costs each
    message less CPU: the more customers, the cheaper each parse, with no waiting added when it is quiet."""

    def __init__(self, model_tar: Path, workers: int, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        self.model_tar = Path(model_tar)
        self.workers = max(1, workers)
        self.max_batch = max(1, max_batch)
        self._executor: Optional[concurrent.futures.ProcessPoolExecutor] = None
        self._lock = threading.Lock()
        self._closed = False
        # Only Rasa's event loop touches these (callbacks run on it).
        self._queue: Deque[_Waiting] = collections.deque()
        self._busy = 0  # batches in the workers
        self._restarting: Optional[asyncio.Future[Any]] = None
        self._launched: Optional[_Launched] = None
        self._ready = 0  # workers known to have loaded
        self.batches = 0

    def start(self) -> Tuple[int, ...]:
        """Start the workers and wait until each has loaded the model; their pids."""
        return self.wait_ready(self.launch())

    def launch(self) -> _Launched:
        """Start the workers loading (returns at once); pass the result to wait_ready."""
        context = multiprocessing.get_context("spawn")  # fork would copy TensorFlow's threads half-alive
        loaded = context.Array("i", self.workers)  # each worker's pid once it has loaded, in the order they did
        executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_load_worker,
            initargs=(str(self.model_tar), context.Lock(), loaded))
        # The executor starts a process per task while none is idle: one task each starts them all now.
        launched = _Launched(executor, [executor.submit(os.getpid) for _ in range(self.workers)], loaded)
        # At exit the executor waits for its workers, and one still loading the model would hold up Rasa's stop
        # for seconds: stop those first (threading's exit hooks run newest first, before the executor's own).
        threading._register_atexit(functools.partial(_stop_loading, launched))  # type: ignore[attr-defined]
        return launched

    def wait_ready(self, launched: _Launched, need: Optional[int] = None) -> Tuple[int, ...]:
        """Wait until `need` of the launched workers (all by default) have loaded the model; their pids. The pool
        parses from then on, with more workers as the others finish loading."""
        need = self.workers if need is None else max(1, min(need, self.workers))
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while len(pids := launched.pids()) < need:
            failed = next((f for f in launched.probes if f.done() and f.exception() is not None), None)
            if failed is not None or time.monotonic() > deadline:
                launched.executor.shutdown(wait=False, cancel_futures=True)
                why = repr(failed.exception()) if failed is not None else f"not within {LOAD_TIMEOUT_S:.0f} s"
                raise NluPoolError(f"NLU workers failed to load {self.model_tar}: {why}")
            time.sleep(0.05)
        with self._lock:
            self._executor, self._launched = launched.executor, launched
        self._ready = len(pids)
        logger.info("NLU runs in %d worker processes (%s loaded: pids %s), up to %d messages per run", self.workers,
                    len(pids), ", ".join(map(str, pids)), self.max_batch)
        threading.Thread(target=self._watch_loading, args=(launched,), name="nlu-loading", daemon=True).start()
        return pids

    def _watch_loading(self, launched: _Launched) -> None:
        """Count the workers in as they finish loading, and say when all have (tests wait for that line)."""
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while time.monotonic() < deadline and self._launched is launched and not self._closed:
            pids = launched.pids()
            self._ready = max(self._ready, len(pids))  # one int, read by the event loop's dispatch
            if len(pids) == self.workers:
                logger.info("%s (pids %s)", NLU_ALL_LOADED, ", ".join(map(str, pids)))
                return
            time.sleep(0.1)

    def loaded(self) -> Tuple[int, ...]:
        """The pids of the running workers that have loaded the model."""
        launched = self._launched
        return launched.pids() if launched is not None else ()

    def close_launched(self, launched: _Launched) -> None:
        """Stop workers that were launched but are not used."""
        _stop_loading(launched)
        launched.executor.shutdown(wait=False, cancel_futures=True)

    def _capacity(self) -> int:
        """How many workers take messages: those that have loaded so far (at least one, once started)."""
        return max(1, self._ready)

    async def parse(self, text: Optional[str], message_id: Optional[str], metadata: Optional[Dict[str, Any]],
                    only_output_properties: bool = True) -> Dict[str, Any]:
        """Parse one message in a free worker, awaited (the event loop serves other customers meanwhile)."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting((text, message_id, metadata, only_output_properties), loop.create_future())
        self._queue.append(waiting)
        self._dispatch()
        return await waiting.future

    def _dispatch(self) -> None:
        """Hand the queued messages to the free workers, shared evenly, up to max_batch to a worker."""
        while self._queue and self._busy < self._capacity():
            if self._restarting is not None:
                return  # the new workers take the queue when they are up
            executor = self._executor
            if executor is None:
                self._fail(list(self._queue), NluPoolError("the NLU workers are not running"))
                self._queue.clear()
                return
            free = self._capacity() - self._busy
            size = min(self.max_batch, -(-len(self._queue) // free))
            batch = [w for w in (self._queue.popleft() for _ in range(size)) if not w.future.done()]
            if not batch:
                continue
            try:
                future = executor.submit(parse_batch_in_worker, [w.job for w in batch])
            except concurrent.futures.process.BrokenProcessPool as exc:
                self._broken(executor, batch, exc)
                return
            except RuntimeError as exc:  # shut down (closed, or replaced by a new model)
                self._fail(batch, NluPoolError(f"the NLU workers are not running: {exc}"))
                continue
            self._busy += 1
            self.batches += 1
            future.add_done_callback(functools.partial(self._back, executor, batch))

    def _back(self, executor: Any, batch: List[_Waiting], done: concurrent.futures.Future[Any]) -> None:
        """On the executor's thread: pass the finished batch to the event loop."""
        loop = batch[0].future.get_loop()
        if not loop.is_closed():
            loop.call_soon_threadsafe(self._finished, executor, batch, done)

    def _finished(self, executor: Any, batch: List[_Waiting], done: concurrent.futures.Future[Any]) -> None:
        """A worker is back with a batch (on the event loop): answer each message, then hand out more."""
        self._busy -= 1
        exc: Optional[BaseException] = NluPoolError("the NLU workers were stopped") if done.cancelled() \
            else done.exception()
        if isinstance(exc, concurrent.futures.process.BrokenProcessPool):
            self._broken(executor, batch, exc)
        elif exc is not None:
            self._fail(batch, exc)
        else:
            for waiting, (ok, value) in zip(batch, done.result(), strict=True):
                if ok:
                    _settle(waiting, value, None)
                else:
                    _settle(waiting, None, NluPoolError(value))
        self._dispatch()

    def _broken(self, executor: Any, batch: List[_Waiting], exc: BaseException) -> None:
        """A worker died with these messages: replace the workers and parse them once more (a message that
        breaks the new workers too fails)."""
        again = []
        for waiting in batch:
            waiting.tries += 1
            if waiting.tries >= 2:
                _settle(waiting, None, exc)
            else:
                again.append(waiting)
        self._queue.extendleft(reversed(again))
        if self._restarting is None:
            logger.error("an NLU worker died; starting the workers again")
            self._restarting = batch[0].future.get_loop().run_in_executor(None, self._restart, executor)
            self._restarting.add_done_callback(self._restarted)

    def _restarted(self, done: asyncio.Future[Any]) -> None:
        self._restarting = None
        if not done.cancelled() and done.exception() is not None:
            logger.error("the NLU workers could not be started again: %s", done.exception())
            self._fail(list(self._queue), NluPoolError(f"the NLU workers could not restart: {done.exception()}"))
            self._queue.clear()
        self._dispatch()

    def _fail(self, batch: List[_Waiting], exc: BaseException) -> None:
        for waiting in batch:
            _settle(waiting, None, exc)

    def _restart(self, broken: concurrent.futures.ProcessPoolExecutor) -> None:
        """Replace a broken executor (in a thread: loading takes seconds)."""
        with self._lock:
            if self._executor is not broken or self._closed:
                return  # already replaced, or closed meanwhile
            self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)
        self.wait_ready(self.launch(), need=1)

    def close(self) -> None:
        """Stop the workers."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            _stop_loading(self._launched)
            executor.shutdown(wait=True, cancel_futures=True)


def _stop_loading(launched: Optional[_Launched]) -> None:
    """Terminate the launched workers that are still loading the model (they take no message until loaded)."""
    if launched is None:
        return
    loaded = set(launched.pids())
    for process in list((getattr(launched.executor, "_processes", None) or {}).values()):
        if process.pid not in loaded and process.is_alive():
            process.terminate()


def _settle(waiting: _Waiting, value: Any, exc: Optional[BaseException]) -> None:
    """Give a waiting message its parse or error, on its own event loop."""
    def settle() -> None:
        if waiting.future.done():
            return  # the customer's request went away meanwhile
        if exc is not None:
            waiting.future.set_exception(exc)
        else:
            waiting.future.set_result(value)

    loop = waiting.future.get_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        settle()
    elif not loop.is_closed():
        loop.call_soon_threadsafe(settle)
