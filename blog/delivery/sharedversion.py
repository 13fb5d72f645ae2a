"""The site version shared by several hosts in Redis: the same interface as siteversion's file.

Keys under SITE_VERSION_PREFIX: pending, done, due, and `inflight`, a sorted set of the writes
between their BEGIN and their end, scored by a deadline. A write that cannot announce itself
fails (it must not commit unseen by the other hosts); a reader that cannot reach Redis gets
None, so its page comes from the database. A writer that died mid-commit is forgotten once its
deadline passes, and `settle` then catches `done` up with `pending`.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable

import redis

NEVER = 1e18  # Lua reads no "inf": a time no post is scheduled for
DEADLINE_SECONDS = 60.0  # longer than any commit: a write still in flight is never forgotten
_BEGIN = """
redis.call('ZADD', KEYS[4], ARGV[1], ARGV[2])
return redis.call('INCR', KEYS[1])
"""
_FINISH = """
redis.call('ZREM', KEYS[4], ARGV[2])
local due = tonumber(redis.call('GET', KEYS[3]) or '0')
if tonumber(ARGV[1]) < due then redis.call('SET', KEYS[3], ARGV[1]) end
return redis.call('INCR', KEYS[2])
"""
_SETTLE = """
local now = tonumber(ARGV[1])
local pending = tonumber(redis.call('GET', KEYS[1]) or '0')
local done = tonumber(redis.call('GET', KEYS[2]) or '0')
if pending ~= done then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
  if redis.call('ZCARD', KEYS[4]) == 0 then
    redis.call('SET', KEYS[2], pending)
    redis.call('SET', KEYS[3], '0')
  end
  return 0
end
if tonumber(redis.call('GET', KEYS[3]) or '0') <= now then
  redis.call('INCR', KEYS[1])
  redis.call('INCR', KEYS[2])
  return 1
end
return 0
"""
_SET_DUE = """
if redis.call('GET', KEYS[1]) == ARGV[2] and redis.call('GET', KEYS[2]) == ARGV[3] then
  redis.call('SET', KEYS[3], ARGV[1])
end
"""


class RedisVersion:
    """The site version of every host, kept in Redis."""

    def __init__(self, url: str, prefix: str, next_due: Callable[[], float]) -> None:
        self.next_due = next_due
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.keys = [f"{prefix}:{name}" for name in ("pending", "done", "due", "inflight")]
        self._begin = self.client.register_script(_BEGIN)
        self._finish = self.client.register_script(_FINISH)
        self._settle = self.client.register_script(_SETTLE)
        self._set_due = self.client.register_script(_SET_DUE)
        self._tokens: list[str] = []

    def current(self) -> int | None:
        """Return the version, or None while unknown or when Redis cannot be reached."""
        try:
            pending, done, due = self.client.mget(self.keys[:3])
        except redis.RedisError:
            return None
        if pending != done or float(due or 0) <= time.time():
            return None
        return int(done or 0)

    def begin(self) -> None:
        """Announce a write about to commit; raise (so it does not commit) if Redis is away."""
        token = f"{os.getpid()}:{uuid.uuid4().hex}"
        self._begin(keys=self.keys, args=[time.time() + DEADLINE_SECONDS, token])
        self._tokens.append(token)

    def finish(self, due: float = NEVER) -> None:
        """Count a write as done; note the post it scheduled. If Redis is away, settle later."""
        token = self._tokens.pop() if self._tokens else ""
        try:
            self._finish(keys=self.keys, args=[repr(min(due, NEVER)), token])
        except redis.RedisError:
            pass  # pending stays ahead: every host asks the database until settle repairs it

    def settle(self) -> None:
        """Forget writers past their deadline, or advance past a due post and ask for the next."""
        try:
            if self._settle(keys=self.keys, args=[time.time()]) != 1:
                return
            pending, done = self.client.mget(self.keys[:2])
            due = min(self.next_due(), NEVER)
            self._set_due(keys=self.keys, args=[repr(due), pending, done])
        except redis.RedisError:
            return
