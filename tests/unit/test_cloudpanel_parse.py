"""Reading clpctl results: success is exit 0 without failure markers (wording ignored), "already exists" is a result
even with exit 0, the documented texts map to typed errors, and output relied on is parsed or a ProtocolError."""

from __future__ import annotations

import pytest

from hostdeck.backends.cloudpanel import commands
from hostdeck.backends.cloudpanel import parse
from hostdeck.backends.cloudpanel.commands import RawResult
from hostdeck.backends.cloudpanel.errors import AlreadyExistsError
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import PermissionDenied
from hostdeck.backends.errors import ProtocolError
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.sim.clpctl import symfony_table

PW = "Sup3r-secret-pw!"
ADD = commands.site_add_static("a.com", "auser", PW)
CERT = commands.install_certificate("a.com")


def check(exit_status: int, stdout: str = "", stderr: str = "", command=ADD) -> str:
    return parse.check(RawResult(exit_status, stdout, stderr, 1.0), command, backend="cp", host="web1", user="deploy")


@pytest.mark.parametrize("stdout, stderr", [("", ""), ("Site has been created.\n", ""),
                                            ("\x1b[32m[OK]\x1b[0m Site a.com added\n", "PHP Deprecated: x in y\n"),
                                            ("Creating site user ...\r50%\r100%\n", "")])
def test_success_is_exit_zero_without_markers_whatever_the_text(stdout, stderr):
    assert "\x1b" not in check(0, stdout, stderr)


@pytest.mark.parametrize("exit_status", [0, 1])
@pytest.mark.parametrize("text, field", [("domainName: This value already exists.", "domainName"),
                                         ("siteUser: This value already exists.", "siteUser"),
                                         (" [ERROR] databaseUserName: This value already exists.", "databaseUserName"),
                                         ("Site already exists", None)])
def test_already_exists_is_a_conflict_even_with_exit_zero(exit_status, text, field):
    with pytest.raises(AlreadyExistsError) as err:
        check(exit_status, "", text + "\n")
    assert err.value.field == field and err.value.category == "conflict" and err.value.code == "already_exists"
    assert "web1" in err.value.message


def test_error_line_with_exit_zero_is_a_failure_with_the_last_lines():
    lines = "".join(f"step {i}\n" for i in range(30)) + f"Error: something broke with --siteUserPassword={PW}\n"
    with pytest.raises(BackendError) as err:
        check(0, lines)
    assert type(err.value) is BackendError and "something broke" in err.value.message
    assert "step 5" not in err.value.message and "step 29" in err.value.message  # the last 20 lines
    assert PW not in err.value.message and PW not in str(err.value.details)


def test_nonzero_exit_without_text_is_a_failure():
    with pytest.raises(BackendError, match="exit status 3"):
        check(3)


def test_documented_texts_map_to_typed_errors():
    with pytest.raises(ProtocolError, match="not a CloudPanel|is this a CloudPanel"):
        check(127, "", "bash: line 1: clpctl: command not found\n")
    with pytest.raises(PermissionDenied, match="sudo needs a password: allow NOPASSWD for clpctl") as err:
        check(1, "", "sudo: a password is required\n")
    assert "deploy ALL=(root) NOPASSWD: /usr/bin/clpctl" in err.value.message
    with pytest.raises(UnavailableError, match="outbound DNS") as err:
        check(1, "", "cURL error 6: Could not resolve host: publicsuffix.org (see https://curl.haxx.se/)\n")
    assert err.value.code == "no_outbound_dns"
    with pytest.raises(ValidationError, match="runtime version 18"):
        check(1, "", "Version '18' not found - try `nvm ls-remote` to browse available versions.\n")
    with pytest.raises(NotFoundError):
        check(1, "", 'Error: Site "a.com" not found.\n')
    with pytest.raises(UnavailableError, match="DNS does not point") as err:
        check(1, "", "Error: Domain validation failed for a.com: DNS problem: NXDOMAIN looking up A for a.com\n", CERT)
    assert err.value.code == "dns_not_ready"


def test_secret_values_never_reach_messages():
    with pytest.raises(BackendError) as err:
        check(1, f"the password {PW} is too weak\n")
    assert PW not in err.value.message and PW not in repr(err.value.as_dict()) and "***" in err.value.message


# tables -----------------------------------------------------------------------------------------------------------------
def test_boxed_and_borderless_tables_and_plain_lists():
    boxed = symfony_table(["Name"], [["Generic"], ["Laravel 12"]])
    assert parse.vhost_templates(boxed, backend="cp", host="h") == ["Generic", "Laravel 12"]
    borderless = " ---------- \n  Name      \n ---------- \n  Generic   \n  Matomo 5  \n ---------- \n"
    assert parse.vhost_templates(borderless, backend="cp", host="h") == ["Generic", "Matomo 5"]
    assert parse.vhost_templates("Generic\nLaravel 12\n", backend="cp", host="h") == ["Generic", "Laravel 12"]


@pytest.mark.parametrize("text", ["", "\n\n", "Warning: something; odd\n", "<html><body>502</body></html>"])
def test_unreadable_template_lists_are_protocol_errors(text):
    with pytest.raises(ProtocolError, match="cannot read"):
        parse.vhost_templates(text, backend="cp", host="h")


def test_panel_users_from_the_table():
    text = symfony_table(["User Name", "First Name", "Last Name", "E-Mail", "Role", "Status"],
                         [["john.doe", "John", "Doe", "john@example.com", "Admin", "Active"]])
    [user] = parse.panel_users(text, backend="cp", host="h")
    assert (user.user_name, user.email, user.role, user.status) == ("john.doe", "john@example.com", "Admin", "Active")
    for bad in ("", "No users.\n", symfony_table(["Foo"], [["bar"]])):
        with pytest.raises(ProtocolError):
            parse.panel_users(bad, backend="cp", host="h")
