"""The HTTP core's rules: which requests are resent, how long it waits, what it records, what it refuses."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest

from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ConfigError
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import ReadOnlyError
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.events import EventLog
from hostdeck.backends.http import HttpCore
from hostdeck.backends.http import RateLimitState
from hostdeck.backends.http import RetryPolicy
from hostdeck.backends.http import check_base_url
from hostdeck.backends.http import parse_retry_after


def classify(status, data, operation, backend):
    code = (data or {}).get("error", {}).get("code") if isinstance(data, dict) else None
    cls = ConflictError if status == 409 else UnavailableError if status >= 500 else BackendError
    return cls(f"HTTP {status}", code=code)


def core(responses, *, read_only=False, events=None, policy=None):
    """An HttpCore whose transport answers from a list (status, headers, json) and records requests and sleeps."""
    sent, slept = [], []

    def handler(request):
        sent.append(request)
        status, headers, body = responses.pop(0) if len(responses) > 1 else responses[0]
        return httpx.Response(status, headers={"content-type": "application/json", **headers}, json=body)

    async def sleep(seconds):
        slept.append(seconds)

    http = HttpCore(backend="t", base_url="http://127.0.0.1:9/v1", classify=classify, events=events, read_only=read_only,
                    policy=policy or RetryPolicy(base=0.5, cap=30), sleep=sleep, transport=httpx.MockTransport(handler))
    return http, sent, slept


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after("7") == 7
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= parse_retry_after(when) <= 30
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_rate_limit_headers_are_read_case_insensitively():
    for names in (("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"),
                  ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")):
        state = RateLimitState()
        state.update(httpx.Headers({names[0]: "3600", names[1]: "12", names[2]: "1800000000"}))
        assert (state.limit, state.remaining, state.reset) == (3600, 12, 1800000000)


async def test_get_is_retried_on_502_503_504_with_backoff():
    http, sent, slept = core([(502, {}, {}), (503, {}, {}), (504, {}, {}), (200, {}, {"ok": 1})])
    reply = await http.request("GET", "/x", operation="read")
    assert reply.data == {"ok": 1} and len(sent) == 4 and len(slept) == 3
    assert all(0 <= s <= 0.5 * 2 ** i for i, s in enumerate(slept))  # full jitter under the exponential cap


async def test_retries_are_bounded():
    http, sent, _ = core([(503, {}, {})])
    with pytest.raises(UnavailableError):
        await http.request("GET", "/x", operation="read")
    assert len(sent) == 5  # the first try and at most 4 retries


async def test_500_is_not_retried():
    http, sent, _ = core([(500, {}, {})])
    with pytest.raises(UnavailableError):
        await http.request("GET", "/x", operation="read")
    assert len(sent) == 1


async def test_a_mutation_is_never_resent_after_an_ambiguous_failure():
    http, sent, _ = core([(503, {}, {}), (201, {}, {})])
    with pytest.raises(UnavailableError):
        await http.request("POST", "/x", operation="create", json_body={"a": 1}, expect=(201,))
    assert len(sent) == 1


async def test_a_mutation_is_resent_on_429_and_on_codes_that_prove_it_was_not_applied():
    http, sent, slept = core([(429, {"Retry-After": "3"}, {}), (409, {}, {"error": {"code": "conflict"}}), (201, {}, {"ok": 1})])
    reply = await http.request("POST", "/x", operation="act", expect=(201,), retry_codes=frozenset({"conflict"}))
    assert reply.status == 201 and len(sent) == 3
    assert any(2.5 < s <= 3.0 for s in slept)  # Retry-After honoured: the gate held the resend for 3 s


async def test_429_waits_about_a_second_not_until_the_bucket_is_full():
    reset = int(time.time()) + 3000  # a full refill is 50 minutes away
    http, sent, slept = core([(429, {"RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)}, {}), (200, {}, {})])
    await http.request("GET", "/x", operation="read")
    waits = [s for s in slept if s > 0]
    assert waits and all(0.05 <= w <= 2.0 for w in waits)


async def test_429_gives_up_after_its_time_budget_with_retry_after():
    reset = int(time.time()) + 3000
    http, sent, _ = core([(429, {"RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)}, {})],
                         policy=RetryPolicy(rate_limit_budget=0.0))
    from hostdeck.backends.errors import RateLimitedError

    with pytest.raises(RateLimitedError) as err:
        await http.request("GET", "/x", operation="read")
    assert 2900 < err.value.retry_after <= 3000


async def test_read_only_refuses_mutations_before_sending():
    http, sent, _ = core([(201, {}, {})], read_only=True)
    with pytest.raises(ReadOnlyError):
        await http.request("DELETE", "/x/1", operation="delete")
    assert sent == []
    await http.request("POST", "/reads", operation="read via POST", reads_only=True, expect=(201,))
    assert len(sent) == 1


async def test_events_are_recorded_redacted():
    events = EventLog()
    http, _, _ = core([(200, {"X-Correlation-Id": "abc"}, {})], events=events)
    await http.request("GET", "/x", operation="read", params={"token": "s3cret", "page": 2})
    (event,) = events.recent()
    assert "s3cret" not in event.path and "page=2" in event.path and event.detail["correlation_id"] == "abc"
    assert event.method == "GET" and event.status == 200 and event.attempt == 1


async def test_wrong_content_type_and_empty_body_are_protocol_errors():
    from hostdeck.backends.errors import ProtocolError

    def handler(request):
        return httpx.Response(200, headers={"content-type": "text/html"}, text="<html>")

    http = HttpCore(backend="t", base_url="http://127.0.0.1:9", classify=classify, transport=httpx.MockTransport(handler))
    with pytest.raises(ProtocolError, match="text/html, not JSON"):
        await http.request("GET", "/x", operation="read")


def test_plain_http_only_to_loopback():
    assert check_base_url("http://127.0.0.1:8080/v1/", backend="b") == "http://127.0.0.1:8080/v1"
    assert check_base_url("http://localhost/x", backend="b")
    with pytest.raises(ConfigError, match="plain http"):
        check_base_url("http://api.example.com/v1", backend="b")


async def test_failed_calls_record_the_redacted_request_and_response():
    events = EventLog()
    http, _, _ = core([(422, {}, {"error": {"code": "invalid_input", "message": "bad", "password": "pw-in-body"}})],
                      events=events)
    with pytest.raises(BackendError):
        await http.request("POST", "/x", operation="create", json_body={"name": "a", "user_data": "#cloud-config secret"},
                           expect=(201,))
    (event,) = events.recent()
    assert "invalid_input" in event.detail["response"] and "pw-in-body" not in event.detail["response"]
    assert '"name": "a"' in event.detail["request"] and "cloud-config" not in event.detail["request"]
