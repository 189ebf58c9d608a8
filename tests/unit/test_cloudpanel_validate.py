"""Nothing from a user reaches CloudPanel's remote shell unvalidated or unquoted: every value is checked, then each
word is quoted so the shell hands clpctl exactly the argv hostdeck built, whatever the input was."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import HealthCheck
from hypothesis import event
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from hostdeck.backends.cloudpanel import commands
from hostdeck.backends.cloudpanel import validate
from hostdeck.backends.cloudpanel.commands import mask_text
from hostdeck.backends.cloudpanel.spec import SiteSpec
from hostdeck.backends.cloudpanel.spec import new_password
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.sim.cloudpanel import UnsafeLine
from hostdeck.backends.sim.cloudpanel import split_line

HOSTILE = [
    "a.com; rm -rf /", "a.com && reboot", "a.com | nc evil 1", "$(reboot).com", "`reboot`.com", "a.com\nreboot",
    "a.com\rreboot", "a.com\x00.evil", "'a.com'", '"a.com"', "a.com'", "-rf.com", "--force", "--domainName=x.com",
    "a .com", " a.com", "a.com ", "a\tb.com", "*.a.com", "a.com.", "a..com", "a_b.com", "a.com/../../etc",
    "exa\u200bmple.com", "exam\u200fple.com", "\u202eexample.com", "ex\u0430mple.com", "xn--exmple-4nf.com",
    "pаypal.com", "a.com#", "a.com?x", "~root.com", "1.2.3.4", "localhost", "com", "", "a" * 64 + ".com",
    ("a" * 60 + ".") * 5 + "com", "ab--cd.com", "xn--zz.com", "a.com\\", "a.com{b,c}", "a.com>x", "<a>.com",
    "a.com!", "%00.com", "ｅｘａｍｐｌｅ.com;", "a\u2028b.com", "a.c\u00adom",
]


# domains --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    ("example.com", "example.com"), ("WWW.Example.COM", "www.example.com"), ("Bücher.example", "xn--bcher-kva.example"),
    ("münchen.de", "xn--mnchen-3ya.de"), ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("a-b.c-d.example.co.uk", "a-b.c-d.example.co.uk"), ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
    ("ｅｘａｍｐｌｅ.com", "example.com"),
])
def test_valid_domains_become_lower_case_ascii(value, expected):
    assert validate.domain(value) == expected


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_domains_are_refused_in_plain_words(value):
    with pytest.raises(ValidationError) as err:
        validate.domain(value)
    assert err.value.message.startswith("invalid domain name")
    assert "\n" not in err.value.message and "\x00" not in err.value.message


def test_lookalike_and_invisible_characters_are_named():
    with pytest.raises(ValidationError, match="mixes Cyrillic and Latin"):
        validate.domain("ex\u0430mple.com")
    with pytest.raises(ValidationError, match="mixes Cyrillic and Latin"):
        validate.domain("xn--exmple-4nf.com")  # the same lookalike, already in punycode
    with pytest.raises(ValidationError, match="U\\+200F"):
        validate.domain("exam\u200fple.com")
    with pytest.raises(ValidationError, match="U\\+200B"):
        validate.domain("exa\u200bmple.com")


def test_non_text_is_refused():
    for value in (None, 3, b"a.com", ["a.com"]):
        with pytest.raises(ValidationError):
            validate.domain(value)


def test_alternative_names_are_each_checked_deduplicated_and_exclude_the_main_domain():
    assert validate.alternative_names(["WWW.a.com", "www.a.com", "a.com", "b.a.com"], "a.com") == ("www.a.com", "b.a.com")
    assert validate.alternative_names("www.a.com,b.a.com", "a.com") == ("www.a.com", "b.a.com")
    with pytest.raises(ValidationError):
        validate.alternative_names(["www.a.com", "b.com;reboot"], "a.com")
    with pytest.raises(ValidationError):
        validate.alternative_names(["a.com,evil.com;x"], "a.com")


# names, versions, ports, URLs, templates, passwords -------------------------------------------------------------------
@pytest.mark.parametrize("check", [validate.site_user, validate.database_name, validate.database_user])
@pytest.mark.parametrize("value", ["ab", "1abc", "Abc", "ab c", "ab;c", "ab$c", "-abc", "a" * 33, "ab\nc", "äbc", ""])
def test_bad_names_are_refused(check, value):
    with pytest.raises(ValidationError):
        check(value)


def test_good_names_pass_and_system_names_are_reserved():
    assert validate.site_user("shop_user-1") == "shop_user-1"
    assert validate.database_name("my-database") == "my-database"
    for reserved in ("root", "clp", "www-data", "mysql"):
        with pytest.raises(ValidationError, match="system user"):
            validate.site_user(reserved)
    with pytest.raises(ValidationError, match="built-in"):
        validate.database_user("root")
    assert validate.panel_user("john.doe") == "john.doe"
    for bad in ("-john", "john doe", "john;id", "jöhn", "", "a" * 65):
        with pytest.raises(ValidationError):
            validate.panel_user(bad)


def test_versions_are_checked_for_form_and_against_what_the_host_offers():
    """The lists change with each CloudPanel release (PHP 8.5 in v2.5.3) and per OS: no fixed list any more."""
    assert validate.php_version("8.5") == "8.5" and validate.php_version("8.4", ("8.3", "8.4")) == "8.4"
    assert validate.nodejs_version(24) == "24" and validate.nodejs_version("12") == "12"
    assert validate.python_version("3.13") == "3.13" and validate.python_version("3.10", ("3.10",)) == "3.10"
    with pytest.raises(ValidationError, match="this host offers 8.3, 8.4"):
        validate.php_version("8.5", ("8.3", "8.4"))
    with pytest.raises(ValidationError, match="offers none"):
        validate.python_version("3.12", ())
    for check, bad in ((validate.php_version, "8.4;id"), (validate.php_version, "84"), (validate.nodejs_version, "latest"),
                       (validate.nodejs_version, "22.1"), (validate.python_version, "2.7"), (validate.php_version, 8.4j)):
        with pytest.raises(ValidationError, match="write a version like|expected text"):
            check(bad)


@pytest.mark.parametrize("value, ok", [(3000, True), ("8080", True), (1024, True), (65535, True), (80, False),
                                       (0, False), (70000, False), ("30 00", False), ("3000;", False), (True, False),
                                       ("٣٠٠٠", False), (3000.0, False), ("-3000", False)])
def test_app_ports(value, ok):
    if ok:
        assert validate.app_port(value) == int(value)
    else:
        with pytest.raises(ValidationError):
            validate.app_port(value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "https://backend.example.com/app", "http://localhost:3000/",
                                 "http://[::1]:8080", "http://10.0.0.5"])
def test_reverse_proxy_urls_accepted(url):
    assert validate.reverse_proxy_url(url) == url


@pytest.mark.parametrize("url", ["ftp://127.0.0.1", "http://", "127.0.0.1:8000", "http://user:pw@h.com",
                                 "http://h.com/a b", "http://h.com/?q=1", "http://h.com/#x", "http://h.com/$(id)",
                                 "http://h.com/`id`", "http://h.com;id", "http://h.com:99999", "http://h.com\n",
                                 "http://exa\u200bmple.com", "http://h_h.com", "http://h.com/'", "http://h.com:80x",
                                 "javascript:alert(1)", "http://h.com/\\"])
def test_reverse_proxy_urls_refused(url):
    with pytest.raises(ValidationError):
        validate.reverse_proxy_url(url)


def test_vhost_templates_must_match_exactly_when_the_list_is_known():
    known = ["Generic", "Laravel 12", "Matomo 5"]
    assert validate.vhost_template("Laravel 12", known) == "Laravel 12"
    with pytest.raises(ValidationError, match="did you mean 'Laravel 12'"):
        validate.vhost_template("laravel 12", known)
    with pytest.raises(ValidationError, match="not in"):
        validate.vhost_template("Drupal 11", known)
    for bad in ("", " Generic", "Generic ", "Two  spaces", "Gen'eric", "Gen;eric", "Gen\neric", "$(id)", "x" * 65,
                "Gene\u200bric"):
        with pytest.raises(ValidationError):
            validate.vhost_template(bad)


def test_passwords_may_hold_shell_characters_but_no_control_characters():
    assert validate.password("it's $HOME & `x` !ok") == "it's $HOME & `x` !ok"
    for bad in ("short", "a" * 129, "line\nbreak-long", "nul\x00-password", "tab\tpassword", "-leading-dash",
                "rtl\u202epassword"):
        with pytest.raises(ValidationError):
            validate.password(bad)


def test_generated_passwords_are_strong_and_random():
    values = {new_password() for _ in range(50)}
    assert len(values) == 50
    for value in values:
        assert len(value) == 24 and value[0].isalnum()
        assert any(c.islower() for c in value) and any(c.isupper() for c in value) and any(c.isdigit() for c in value)
        validate.password(value)


# commands: exactly the documented argv ----------------------------------------------------------------------------------
PW = "s3cret 'quoted' $PATH `x`!"


@pytest.mark.parametrize("command, argv", [
    (commands.site_add_php("Shop.Example.com", "8.4", "Generic", "shopexam", PW),
     ["clpctl", "site:add:php", "--domainName=shop.example.com", "--phpVersion=8.4", "--vhostTemplate=Generic",
      "--siteUser=shopexam", f"--siteUserPassword={PW}"]),
    (commands.site_add_static("a.com", "auser", PW),
     ["clpctl", "site:add:static", "--domainName=a.com", "--siteUser=auser", f"--siteUserPassword={PW}"]),
    (commands.site_add_nodejs("a.com", "22", 3000, "auser", PW),
     ["clpctl", "site:add:nodejs", "--domainName=a.com", "--nodejsVersion=22", "--appPort=3000", "--siteUser=auser",
      f"--siteUserPassword={PW}"]),
    (commands.site_add_python("a.com", "3.10", "8080", "auser", PW),
     ["clpctl", "site:add:python", "--domainName=a.com", "--pythonVersion=3.10", "--appPort=8080", "--siteUser=auser",
      f"--siteUserPassword={PW}"]),
    (commands.site_add_reverse_proxy("a.com", "http://127.0.0.1:8000", "auser", PW),
     ["clpctl", "site:add:reverse-proxy", "--domainName=a.com", "--reverseProxyUrl=http://127.0.0.1:8000",
      "--siteUser=auser", f"--siteUserPassword={PW}"]),
    (commands.install_certificate("www.a.com", ["a.com", "www.b.com"]),
     ["clpctl", "lets-encrypt:install:certificate", "--domainName=www.a.com", "--subjectAlternativeName=a.com,www.b.com"]),
    (commands.install_certificate("www.a.com"), ["clpctl", "lets-encrypt:install:certificate", "--domainName=www.a.com"]),
    (commands.site_delete("a.com"), ["clpctl", "site:delete", "--domainName=a.com", "--force"]),
    (commands.user_list(), ["clpctl", "user:list"]),
    (commands.user_reset_password("john.doe", PW), ["clpctl", "user:reset:password", "--userName=john.doe", f"--password={PW}"]),
    (commands.db_add("a.com", "my-database", "john", PW),
     ["clpctl", "db:add", "--domainName=a.com", "--databaseName=my-database", "--databaseUserName=john",
      f"--databaseUserPassword={PW}"]),
    (commands.vhost_templates_list(), ["clpctl", "vhost-templates:list"]),
    (commands.clpctl_present(), ["command", "-v", "clpctl"]),
    (commands.vhost_exists("a.com"), ["test", "-f", "/etc/nginx/sites-enabled/a.com.conf"]),
])
def test_each_command_is_the_documented_argv_and_survives_the_shell(command, argv):
    assert list(command.argv) == argv
    for sudo in (False, True):
        line = command.line(sudo)
        expected = (["sudo", "-n"] if sudo and command.root else []) + argv
        assert shlex.split(line) == expected
        assert split_line(line) == expected  # the simulator's strict shell: nothing unquoted it would interpret


def test_template_with_a_space_is_one_word():
    line = commands.site_add_php("a.com", "8.3", "Laravel 12", "auser", PW).line(False)
    assert "'--vhostTemplate=Laravel 12'" in line


def test_checks_run_without_sudo_and_writes_are_marked():
    assert commands.clpctl_present().line(True) == "command -v clpctl"
    assert commands.vhost_exists("a.com").line(True).startswith("test -f ")
    assert commands.user_list().line(True) == "sudo -n clpctl user:list"
    assert commands.site_delete("a.com").writes and not commands.user_list().writes
    assert commands.site_add_static("a.com", "auser", PW).timeout_class == "create"
    assert commands.install_certificate("a.com").timeout_class == "certificate"


def test_passwords_are_masked_in_every_recorded_form():
    for command in (commands.site_add_static("a.com", "auser", PW), commands.user_reset_password("john", PW),
                    commands.db_add("a.com", "dbname", "dbuser", PW)):
        for text in (command.masked(True), command.masked(False), repr(command), str(command)):
            assert PW not in text and "s3cret" not in text and "***" in text
        assert PW in shlex.split(command.line(False))[-1]  # ...but it is on the wire, where clpctl needs it
    assert mask_text(f"error: bad {PW} and --password=abc123 --siteUserPassword='x y'", [PW]) == \
        "error: bad *** and --password=*** --siteUserPassword=***"


def test_vhost_dir_is_checked():
    assert commands.vhost_exists("a.com", "/srv/vhosts/").argv[-1] == "/srv/vhosts/a.com.conf"
    for bad in ("relative/dir", "/etc/../root", "/tmp/$(id)", "/a b", "//x"):
        with pytest.raises(ValidationError):
            commands.vhost_exists("a.com", bad)


def test_site_spec_builds_the_command_for_its_kind():
    assert SiteSpec("a.com", "nodejs", "auser").command(PW).argv[1:5] == (
        "site:add:nodejs", "--domainName=a.com", "--nodejsVersion=22", "--appPort=3000")
    assert SiteSpec("a.com", "python", "auser", app_port=9000).command(PW).argv[3:5] == (
        "--pythonVersion=3.12", "--appPort=9000")
    with pytest.raises(ValidationError, match="target URL"):
        SiteSpec("a.com", "reverse-proxy", "auser").command(PW)
    with pytest.raises(ValidationError, match="site type"):
        SiteSpec("a.com", "wordpress", "auser").command(PW)
    with pytest.raises(ValidationError, match="NUL"):
        commands.Command("x", ("clpctl", "a\x00b"))


def test_the_simulator_shell_refuses_unquoted_metacharacters():
    for line in ("clpctl a;b", "clpctl $(id)", "clpctl `id`", "clpctl a|b", "clpctl a&b", "clpctl 'open", "clpctl a\nb",
                 'clpctl "$a"', 'clpctl "`id`"', "clpctl *", "clpctl ~"):
        with pytest.raises(UnsafeLine):
            split_line(line)


# fuzzing: whatever the text, validation refuses it or the shell sees exactly the intended words ----------------------
SPECIAL = "'\"`$\\;|&<>()[]{}*?~#!%\n\r\t\x00 \u200b\u200f\u202e\u00a0-–—\u0430\u03bf=,:/."
wild = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"[a-zA-Z0-9-]{1,8}(\.[a-z0-9-]{1,8}){1,3}", fullmatch=True),   # plausible domains
    st.from_regex(r"[a-z][a-z0-9_-]{2,10}", fullmatch=True),                      # plausible names
    st.sampled_from(["8.4", "22", "3.10", "Generic", "Laravel 12", "3000", "http://127.0.0.1:8000", "a.com"]),
    st.text(min_size=8, max_size=30).filter(lambda t: not t.startswith("-")),    # passwords: anything printable
    st.text(alphabet=st.sampled_from(list(SPECIAL) + list("abcxyz019ABC")), max_size=40),
    st.builds(lambda a, b, c: a + b + c, st.sampled_from(["", "a.com", "-", "--force ", "x"]),
              st.text(alphabet=st.sampled_from(list(SPECIAL)), max_size=6), st.sampled_from(["", ".com", "a.com", " "])),
)


def _round_trip(build, *values):
    try:
        command = build(*values)
    except ValidationError:
        return None
    for sudo in (False, True):
        line = command.line(sudo)
        words = list(command.words(sudo))
        assert shlex.split(line) == words
        assert split_line(line) == words
    return command


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(domain=wild, user=wild, password=wild, template=wild, version=wild)
def test_fuzz_php_site(domain, user, password, template, version):
    command = _round_trip(commands.site_add_php, domain, version, template, user, password)
    event("accepted" if command is not None else "refused")
    if command is not None:
        assert command.argv == ("clpctl", "site:add:php", f"--domainName={validate.domain(domain)}",
                                f"--phpVersion={version}", f"--vhostTemplate={template}", f"--siteUser={user}",
                                f"--siteUserPassword={password}")
        assert all(c.isalnum() or c in ".-" for c in validate.domain(domain))
        assert password not in command.masked(True)


BASE = {"domain": "shop.example.com", "version": "8.4", "template": "Laravel 12", "user": "shopuser",
        "password": "Passw0rd-long"}


@FUZZ
@given(name=st.sampled_from(sorted(BASE)), value=wild)
def test_fuzz_one_php_field_at_a_time(name, value):
    values = {**BASE, name: value}
    command = _round_trip(commands.site_add_php, values["domain"], values["version"], values["template"],
                          values["user"], values["password"])
    event(f"{name}: {'accepted' if command is not None else 'refused'}")
    if command is not None:
        sent = dict(word[2:].split("=", 1) for word in shlex.split(command.line(True))[4:])
        assert sent == {"domainName": validate.domain(values["domain"]), "phpVersion": values["version"],
                        "vhostTemplate": values["template"], "siteUser": values["user"],
                        "siteUserPassword": values["password"]}


@FUZZ
@given(domain=wild, url=wild, port=wild, user=wild)
def test_fuzz_proxy_node_python_static(domain, url, port, user):
    _round_trip(commands.site_add_reverse_proxy, domain, url, user, "Passw0rd-long")
    _round_trip(commands.site_add_nodejs, domain, "20", port, user, "Passw0rd-long")
    _round_trip(commands.site_add_python, domain, "3.11", port, user, "Passw0rd-long")
    command = _round_trip(commands.site_add_static, domain, user, "Passw0rd-long")
    if command is not None:
        assert command.argv[2:4] == (f"--domainName={validate.domain(domain)}", f"--siteUser={user}")


@FUZZ
@given(domain=wild, alt=st.lists(wild, max_size=3), name=wild, user=wild, password=wild)
def test_fuzz_certificate_database_user_delete(domain, alt, name, user, password):
    cert = _round_trip(commands.install_certificate, domain, alt)
    if cert is not None and len(cert.argv) == 4:
        assert all(validate.domain(a) == a for a in cert.argv[3].split("=", 1)[1].split(","))
    _round_trip(commands.db_add, domain, name, user, password)
    _round_trip(commands.user_reset_password, user, password)
    _round_trip(commands.site_delete, domain)
    _round_trip(commands.vhost_exists, domain)


@FUZZ
@given(value=wild)
def test_fuzz_accepted_values_hold_no_shell_syntax(value):
    for check in (validate.domain, validate.site_user, validate.database_name, validate.panel_user,
                  validate.reverse_proxy_url):
        try:
            accepted = check(value)
        except ValidationError:
            continue
        assert not set(accepted) & set("'\"`$\\;|&<>(){}*?~#! \n\r\t\x00")
        if check is not validate.reverse_proxy_url:  # URLs may hold [::1]; quoting covers that
            assert shlex.quote(accepted) == accepted  # nothing in it needs quoting at all


@pytest.mark.parametrize("check, value", [(validate.panel_user, "0\n"), (validate.panel_user, "admin\n"),
                                          (validate.site_user, "shopuser\n"), (validate.database_name, "shopdb\n")])
def test_a_final_newline_is_refused(check, value):
    """`$` in a regex also matches before a final newline: the patterns end with \\Z."""
    with pytest.raises(ValidationError):
        check(value)
