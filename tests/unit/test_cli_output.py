"""Plain output: values as people write them."""

from hostdeck.cli.output import plain


def test_plain_values_read_as_people_write_them():
    assert [plain(v) for v in (True, False, None, "", {}, [], 0, "web")] == ["yes", "no", "—", "—", "—", "—", "0", "web"]
    assert plain({"env": "prod", "managed": "", "n": 2, "on": True}) == "env=prod, managed=, n=2, on=yes"
    assert plain(["fsn1", "nbg1"]) == "fsn1, nbg1"
