from hypothesis import given
from hypothesis import strategies as st

from hostdeck.backends.redact import MASK
from hostdeck.backends.redact import redact
from hostdeck.backends.redact import redact_headers
from hostdeck.backends.redact import redact_url


def test_headers():
    out = redact_headers({"Authorization": "Bearer abc", "X-API-Key": "k", "Accept": "application/json"})
    assert out == {"Authorization": MASK, "X-API-Key": MASK, "Accept": "application/json"}


def test_url_query_and_nested_values():
    assert "s3cr3t" not in redact_url("/x?token=s3cr3t&page=2")
    assert "page=2" in redact_url("/x?token=s3cr3t&page=2")
    doc = {"root_password": "pw1", "server": {"name": "a"}, "wss_url": "wss://c/?server_id=1&token=tok9",
           "items": [{"password": "pw2"}], "accesskey": "ak"}
    out = redact(doc)
    text = repr(out)
    for secret in ("pw1", "pw2", "tok9", "ak'"):
        assert secret not in text
    assert out["server"] == {"name": "a"}


@given(st.text(min_size=6, alphabet=st.characters(categories=["L", "N"])))
def test_any_password_value_is_masked(value):
    assert value not in repr(redact({"password": value, "nested": {"api_key": value}}))


def test_redaction_by_value_whatever_the_key_and_however_it_is_spelled():
    from hostdeck.backends.redact import ValueRedactor

    secret = 'p/ss"word+1 é'
    r = ValueRedactor([secret, "abc", None])               # too short or missing: left alone (would shred words)
    import json
    from urllib.parse import quote
    from urllib.parse import quote_plus

    doc = {"note": f"echo: {secret}", "raw": json.dumps({"x": secret}), "url": f"/x?q={quote(secret)}",
           "form": f"a={quote_plus(secret)}", "list": [secret, ("t", secret)], secret: 1, "abc": "abc"}
    out = r.scrub(doc)
    text = repr(out)
    assert secret not in text and quote(secret) not in text and quote_plus(secret) not in text
    assert json.dumps(secret)[1:-1] not in text and out["abc"] == "abc" and out["note"] == f"echo: {MASK}"
    assert r.found_in(json.dumps(doc).encode()) and not r.found_in(b"nothing here")


@given(st.text(min_size=4, max_size=40), st.text(max_size=40), st.text(max_size=40))
def test_a_secret_never_survives_value_redaction(secret, before, after):
    from hostdeck.backends.redact import ValueRedactor

    assert secret not in ValueRedactor([secret]).text(before + secret + after).replace(MASK, "\0")
