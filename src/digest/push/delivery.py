"""Posting one push: encrypt (RFC 8291, pywebpush), sign (VAPID), post, decide.

Requests go through one aiohttp session: a pool of keep-alive connections per push
service, ``push.concurrency`` requests in flight, on uvloop's event loop where installed.
HTTP/2 (httpx + h2) was measured on this machine at about 1.1 ms of CPU per push against
about 0.33 ms for aiohttp's HTTP/1.1 pool (encryption included), so the pool is used;
benchmarks/push_benchmark.py measures the whole sender.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp
from pywebpush import WebPusher

from digest.push.endpoints import EndpointPolicy, EndpointRefused, origin_of, system_resolver
from digest.push.models import PushOutcome, PushState, PushTarget
from digest.push.payload import Notification
from digest.push.policy import Decision, Verdict, decide, later
from digest.push.vapid import VapidSigner

SHRINK_STEPS = 3
MAX_ANSWER_BYTES = 64 * 1024


class PushRefused(Exception):
    """This push must not be posted (an endpoint off the allow-list, keys unusable)."""


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """The aes128gcm body (RFC 8188/8291) of ``payload`` for the subscription's keys."""
    try:
        pusher = WebPusher({"endpoint": "-", "keys": {"p256dh": p256dh, "auth": auth}})
        return bytes(pusher.encode(payload, "aes128gcm")["body"])
    except Exception as exc:  # pywebpush raises several kinds for unusable keys
        raise PushRefused(f"cannot encrypt for this subscription's keys: {exc}") from None


def ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Certificate checks on; the system's CAs, or ``push.ca_bundle``'s instead."""
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    return ssl.create_default_context()


@dataclass
class PushCall:
    """Everything one run's posts share: session, signer, payloads, pauses per service."""

    session: aiohttp.ClientSession
    signer: VapidSigner
    policy: EndpointPolicy
    notification: Callable[[str, int], Notification]  # (locale, shrink step) → payload
    ttl: Callable[[str], int]  # timezone → seconds until the next edition
    topic: str
    max_attempts: int
    clock: Callable[[], datetime]
    paused: dict[str, datetime] = field(default_factory=dict)
    hosts_checked: dict[str, str | None] = field(default_factory=dict)

    async def check_host(self, host: str) -> None:
        """Refuse a host that resolves to an internal address (checked once per run)."""
        if host not in self.hosts_checked:
            try:
                await asyncio.to_thread(self.policy.check_resolved, host, system_resolver)
                self.hosts_checked[host] = None
            except EndpointRefused as exc:
                self.hosts_checked[host] = str(exc)
        problem = self.hosts_checked[host]
        if problem:
            raise PushRefused(problem)

    async def push(self, target: PushTarget) -> PushOutcome:
        """Post the notification to one subscription; never raises."""
        try:
            host = self.policy.check(target.endpoint)
            await self.check_host(host)
        except (EndpointRefused, PushRefused) as exc:
            return PushOutcome(target.subscription_id, PushState.FAILED, error=f"refused: {exc}")
        origin = origin_of(target.endpoint)
        paused = self.paused.get(origin)
        if paused is not None and paused > self.clock():
            return PushOutcome(
                target.subscription_id, PushState.PENDING, not_before=paused, attempted=False
            )
        try:
            return await self._post(target, origin)
        except PushRefused as exc:
            return PushOutcome(target.subscription_id, PushState.FAILED, error=str(exc))
        except Exception as exc:  # a bug must not lose the row: record it as failed
            return PushOutcome(
                target.subscription_id, PushState.FAILED, error=f"{type(exc).__name__}: {exc}"
            )

    async def _post(self, target: PushTarget, origin: str) -> PushOutcome:
        attempts = target.attempts + 1
        for step in range(SHRINK_STEPS + 1):
            note = self.notification(target.locale, step)
            body = encrypt(note.payload, target.p256dh, target.auth)
            status, retry_after, error = await self._request(target, origin, body)
            decision = decide(
                status,
                attempts=attempts,
                max_attempts=self.max_attempts,
                retry_after=retry_after,
                now=self.clock(),
                error=error,
            )
            if decision.verdict is not Verdict.SHRINK or step == SHRINK_STEPS:
                break
        return self._outcome(target, status, decision, origin)

    async def _request(
        self, target: PushTarget, origin: str, body: bytes
    ) -> tuple[int | None, str | None, str | None]:
        headers = {
            "Authorization": self.signer.authorization(origin),
            "TTL": str(self.ttl(target.timezone)),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Topic": self.topic,
            "Urgency": "normal",
        }
        try:
            async with self.session.post(
                target.endpoint, data=body, headers=headers, allow_redirects=False
            ) as response:
                await response.content.read(MAX_ANSWER_BYTES)
                return response.status, response.headers.get("Retry-After"), None
        except aiohttp.ClientConnectorCertificateError as exc:
            raise PushRefused(
                f"the push service's TLS certificate is not trusted: {exc.certificate_error}"
            ) from None
        except TimeoutError:
            return None, None, "the push service did not answer in time"
        except (aiohttp.ClientError, OSError) as exc:
            return None, None, f"connection failed: {type(exc).__name__}: {exc}"[:300]

    def _outcome(
        self, target: PushTarget, status: int | None, decision: Decision, origin: str
    ) -> PushOutcome:
        verdict, delay, reason = decision.verdict, decision.delay, decision.reason
        sid, now = target.subscription_id, self.clock()
        if verdict is Verdict.SENT:
            return PushOutcome(sid, PushState.SENT, http_status=status)
        if verdict is Verdict.GONE:
            return PushOutcome(sid, PushState.GONE, http_status=status, error=reason)
        if verdict is Verdict.THROTTLED:
            until = later(now, delay)
            self.paused[origin] = max(until, self.paused.get(origin, until))
            return PushOutcome(sid, PushState.PENDING, status, reason, until, attempted=False)
        if verdict is Verdict.RETRY:
            return PushOutcome(sid, PushState.PENDING, status, reason, later(now, delay))
        return PushOutcome(sid, PushState.FAILED, http_status=status, error=reason)
