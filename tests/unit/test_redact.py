from hypothesis import given, strategies as st

from backends.redact import MASK, redact, redact_headers, redact_url


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
