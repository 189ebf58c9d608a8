import pytest
from hypothesis import given
from hypothesis import strategies as st

from hostdeck.backends.errors import ValidationError
from hostdeck.backends.validate import check_hostname
from hostdeck.backends.validate import check_labels
from hostdeck.backends.validate import hostname_problem


@pytest.mark.parametrize("name", ["web-1", "a", "web.example.com", "x" * 63, "9lives"])
def test_valid_names(name):
    assert hostname_problem(name) is None


@pytest.mark.parametrize("name, words", [
    ("", "empty"), ("-web", "hyphen"), ("web-", "hyphen"), ("web_1", "'_'"), ("web 1", "' '"),
    ("x" * 64, "63"), ("a..b", "empty part"), ("wéb", "'é'"), ("web;rm", "';'"),
])
def test_invalid_names_say_why(name, words):
    with pytest.raises(ValidationError) as err:
        check_hostname(name)
    assert words in err.value.message


@given(st.text(max_size=80))
def test_validator_never_crashes_and_accepts_only_safe_chars(name):
    if hostname_problem(name) is None:
        assert all(c.isascii() and (c.isalnum() or c in "-.") for c in name)


def test_labels():
    assert check_labels({"customer": "c-1", "env": ""}) == {"customer": "c-1", "env": ""}
    with pytest.raises(ValidationError, match="reserved"):
        check_labels({"hetzner.cloud/x": "1"})
    with pytest.raises(ValidationError, match="label value"):
        check_labels({"k": "has space"})
