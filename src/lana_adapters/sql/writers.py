"""The writers of one SQLite database, let in one at a time: first those of this process, in
the order they came, then, through a lock file beside the database, those of every process.

SQLite's own busy handler sleep-polls for the write lock with sleeps growing to 100 ms, so
under load some writers starve while others go through again and again. Writers queued
here meet the busy handler only as a last safety net.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import weakref

from sqlalchemy.engine import URL

from lana_core.errors import Unavailable

try:
    import fcntl
except ImportError:  # no flock (Windows): writers of other processes meet the busy handler
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = ".writer-lock"
WAIT_SUFFIX = ".writer-wait"


class FileLock:
    """An exclusive ``flock`` on ``<database>.writer-lock``, shared by every process writing it.

    ``flock`` belongs to an open file, so two engines of one process exclude each other
    too, and the system drops the lock of a process that dies. A contended lock is waited
    for in a daemon thread blocked in ``flock``, which the system wakes the moment the lock
    is free; the thread lives as long as the lock and waits for each turn asked of it
    (under load nearly every write asks, and starting a thread costs more than the write's
    statements). A waiter marks itself with a shared ``flock`` on ``<database>.writer-wait``; a
    writer finding that mark queues behind it instead of taking a lock just freed, so each
    process gets its turn instead of one taking the lock again and again.
    """

    __slots__ = ("__weakref__", "_asks", "_fds", "_path", "_pid", "_waiter", "_waiting")

    def __init__(self, database_path: str) -> None:
        self._path = database_path
        self._fds: tuple[int, int] | None = None
        self._pid = 0
        self._waiter: asyncio.Future[None] | None = None
        self._waiting = False
        # The loops the waiting thread is to hand the lock to, in turn; None stops it.
        self._asks: queue.SimpleQueue[asyncio.AbstractEventLoop | None] | None = None

    async def acquire(self) -> None:
        """Wait (without blocking the event loop) until the lock is held; cancel to give up.

        A thread still waiting for a waiter that gave up is reused by the next one, and
        drops the lock at once if nobody waits for it any more.
        """
        lock_fd, wait_fd = self._open()
        if not self._waiting and not _held(wait_fd) and _try_flock(lock_fd):
            return
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        if not self._waiting:
            self._waiting = True
            fcntl.flock(wait_fd, fcntl.LOCK_SH)
            self._ask_thread(loop)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # granted as the wait was given up
            raise
        finally:
            self._waiter = None

    def release(self) -> None:
        if self._fds is not None:
            fcntl.flock(self._fds[0], fcntl.LOCK_UN)

    def _ask_thread(self, loop: asyncio.AbstractEventLoop) -> None:
        """Have the waiting thread (started on first need) take the lock for ``loop``."""
        if self._asks is None:
            asks = self._asks = queue.SimpleQueue()
            weakref.finalize(self, asks.put, None)
            waiting = threading.Thread(
                target=_wait_when_asked, args=(weakref.ref(self), asks), name="lana-writer-lock", daemon=True
            )
            waiting.start()
        self._asks.put(loop)

    def _wait(self, loop: asyncio.AbstractEventLoop) -> None:
        """In the waiting thread: block until the lock is held, then hand it to the loop."""
        assert self._fds is not None
        failure: OSError | None = None
        try:
            fcntl.flock(self._fds[0], fcntl.LOCK_EX)
        except OSError as error:  # e.g. ENOLCK: the writer fails instead of waiting forever
            failure = error
        try:
            loop.call_soon_threadsafe(self._granted, failure)
        except RuntimeError:  # the loop is closed: nobody is left to take the lock
            self._waiting = False
            fcntl.flock(self._fds[1], fcntl.LOCK_UN)
            if failure is None:
                self.release()

    def _granted(self, failure: OSError | None) -> None:
        assert self._fds is not None
        self._waiting = False
        fcntl.flock(self._fds[1], fcntl.LOCK_UN)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            if failure is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(Unavailable(f"cannot lock the database for writing: {failure}"))
        elif failure is None:
            self.release()

    def _open(self) -> tuple[int, int]:
        if self._pid != os.getpid():
            # A forked child shares its parent's open files, and so its flock: it opens its own.
            # Nor does it have the parent's waiting thread.
            self._fds, self._pid, self._waiting, self._asks = None, os.getpid(), False, None
        if self._fds is None:
            # Owner-only: whoever may take the lock can stall every writer of the database.
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
            lock_fd = os.open(self._path + LOCK_SUFFIX, flags, 0o600)
            wait_fd = os.open(self._path + WAIT_SUFFIX, flags, 0o600)
            self._fds = (lock_fd, wait_fd)
            weakref.finalize(self, _close, self._fds)
        return self._fds


class WriteQueue:
    """The writers of one SQLite database, served one at a time: first come, first served in
    this process, then each process's turn at the database's :class:`FileLock` (None for an
    in-memory database, which no other process can open)."""

    __slots__ = ("_file", "_lock", "_loop", "_timeout")

    def __init__(self, timeout_seconds: float, file_lock: FileLock | None = None) -> None:
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._file = file_lock
        self._timeout = timeout_seconds

    async def enter(self) -> None:
        """Wait for this writer's turn; raises Unavailable after the busy timeout."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # The engine outlived an event loop (one ``asyncio.run`` after another), and an
            # asyncio lock serves one loop only.
            self._lock, self._loop = asyncio.Lock(), loop
        try:
            async with asyncio.timeout(self._timeout):
                await self._lock.acquire()
                try:
                    if self._file is not None:
                        await self._file.acquire()
                except BaseException:
                    self._lock.release()
                    raise
        except TimeoutError:
            raise Unavailable("the database is busy; retry shortly") from None

    def leave(self) -> None:
        if self._file is not None:
            self._file.release()
        self._lock.release()


def new_write_queue(url: URL, timeout_seconds: float) -> WriteQueue:
    """A queue for the SQLite database at ``url``, locking across processes where it can."""
    path = url.database
    on_disk = bool(path) and path != ":memory:" and not str(path).startswith("file:")
    file_lock = FileLock(os.path.abspath(str(path))) if on_disk and fcntl is not None else None
    return WriteQueue(timeout_seconds, file_lock)


def _wait_when_asked(
    lock: weakref.ref[FileLock], asks: queue.SimpleQueue[asyncio.AbstractEventLoop | None]
) -> None:
    """The waiting thread of one lock. It refers to the lock only while taking a turn for
    it, so that a lock nobody uses any more is collected, and the thread then told to end."""
    while (loop := asks.get()) is not None:
        alive = lock()
        if alive is None:
            return
        alive._wait(loop)
        del alive


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _held(wait_fd: int) -> bool:
    """Whether a writer of another engine or process marked itself waiting."""
    if not _try_flock(wait_fd):
        return True
    fcntl.flock(wait_fd, fcntl.LOCK_UN)
    return False


def _close(fds: tuple[int, int]) -> None:
    for fd in fds:
        os.close(fd)
