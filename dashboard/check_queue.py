"""Checks on one machine take turns: at most N parse a workbook at once, the others wait in the order they came.

Each diskcache job is a process forked by the web server, so the bound is across processes: N slot files in the
cache folder, each held with an exclusive fcntl.flock by the job parsing; a waiting job holds a lock on its own
ticket file, named by when it came, so that the jobs ahead of it can be counted. The kernel releases a flock when
its process dies, however it dies: a killed job frees its slot, and its ticket (no longer locked) is removed by
the next job that counts. With Celery the worker's --concurrency is the bound and this is not used.
"""
from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

POLL_SECONDS = 0.1


@contextmanager
def turn(folder: Path, slots: int, waiting: Callable[[int], None] | None = None) -> Iterator[None]:
    """Wait for one of `slots` slots in `folder`, hold it for the block; `waiting(n)` hears how many wait ahead
    whenever that changes (not at all when a slot is free at once)."""
    folder.mkdir(parents=True, exist_ok=True)
    ticket, ticket_fd = _join(folder)
    slot_fd = None
    try:
        told = None
        while slot_fd is None:
            ahead = _waiting_ahead(folder, ticket.name)
            if ahead < slots:
                slot_fd = _take_slot(folder, slots)
            if slot_fd is None:
                if waiting and ahead != told:
                    waiting(ahead)
                    told = ahead
                time.sleep(POLL_SECONDS)
        _leave(ticket, ticket_fd)
        ticket_fd = None
        yield
    finally:
        if ticket_fd is not None:
            _leave(ticket, ticket_fd)
        if slot_fd is not None:
            os.close(slot_fd)                   # releases the flock


def _join(folder: Path) -> tuple[Path, int]:
    """A locked ticket named by the time it came. Locked under a temporary name, then renamed (the lock stays with
    the file), so that no other job ever sees the ticket unlocked and takes it for a dead one's."""
    name = f"{time.time_ns():020d}-{os.getpid()}"
    draft = folder / f"draft-{name}"
    fd = os.open(draft, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    ticket = folder / f"wait-{name}"
    os.rename(draft, ticket)
    return ticket, fd


def _leave(ticket: Path, fd: int) -> None:
    ticket.unlink(missing_ok=True)
    os.close(fd)


def _waiting_ahead(folder: Path, mine: str) -> int:
    """Live tickets older than mine; a ticket nobody holds is a dead job's, and is removed."""
    ahead = 0
    for path in folder.glob("wait-*"):
        if path.name >= mine:
            continue
        if _held(path):
            ahead += 1
        else:
            path.unlink(missing_ok=True)
    return ahead


def _held(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _take_slot(folder: Path, slots: int) -> int | None:
    for i in range(slots):
        fd = os.open(folder / f"slot-{i}", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            os.close(fd)
    return None
