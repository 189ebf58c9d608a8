"""The CloudPanel adapter against a real OpenSSH server: host-key checking (unknown, trusted, changed after a restart
with another key), and every command reaching a `clpctl` test double with exactly the intended argv, hostile values
arriving as single literal arguments."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostdeck.backends.cloudpanel import SiteSpec
from hostdeck.backends.cloudpanel.errors import AlreadyExistsError
from hostdeck.backends.cloudpanel.errors import ChangedHostKeyError
from hostdeck.backends.cloudpanel.errors import UnknownHostKeyError
from hostdeck.backends.errors import ValidationError

from .cp import isolated_keyring  # noqa: F401  (autouse fixture)
from .cp import make_adapter  # noqa: F401  (autouse fixture)
from .cp import recorded  # noqa: F401  (autouse fixture)
from .sshd import needs_sshd  # noqa: F401  (the fixture)
from .sshd import sshd  # noqa: F401  (the fixture)

pytestmark = needs_sshd

HOSTILE_PW = "it's $(touch /tmp/hostdeck-pwned) `touch /tmp/hostdeck-pwned`; echo x | y & z > /tmp/hostdeck-pwned \\ \"q\" !"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HOSTDECK_DATA_DIR", str(tmp_path))
    return tmp_path


def adapter_for(server, **options):
    return make_adapter("127.0.0.1", server.port, str(server.client_key), user=server.user,
                        vhost_dir=str(server.vhost_dir), **options)


@pytest.fixture
async def cp(sshd, data_dir):  # noqa: F811
    adapter = adapter_for(sshd)
    await adapter.trust_host_key(sshd.fingerprint)
    sshd.clear_calls()
    yield adapter
    await adapter.aclose()


async def test_host_key_unknown_then_trusted_then_changed(sshd, data_dir):  # noqa: F811
    adapter = adapter_for(sshd)
    with pytest.raises(UnknownHostKeyError) as err:
        await adapter.list_users()
    assert err.value.fingerprint == sshd.fingerprint  # what `ssh-keygen -lf` shows on the server
    assert err.value.key_type == "ssh-ed25519" and f"hostdeck cloudpanel trust {adapter.name}" in err.value.message
    sshd.clear_calls()
    await adapter.trust_host_key(sshd.fingerprint)
    report = await adapter.test_connection()
    assert report.ok, report.error
    assert report.details["clpctl"] == str(sshd.bin / "clpctl") and report.details["vhost_templates"] == ["Generic", "Laravel 12"]
    assert sshd.calls() == [["vhost-templates:list"]]
    old = sshd.fingerprint
    await adapter.aclose()  # a new session: established ones survive an sshd restart, as with OpenSSH itself
    sshd.restart_with_new_host_key()
    try:
        assert sshd.fingerprint != old
        with pytest.raises(ChangedHostKeyError) as err:
            await adapter.list_users()
        assert err.value.fingerprint == sshd.fingerprint and err.value.expected == (old,)
        assert sshd.calls() == [["vhost-templates:list"]]  # nothing ran
        await adapter.trust_host_key(sshd.fingerprint, replace=True)
        assert [u.user_name for u in await adapter.list_users()] == ["john.doe"]
    finally:
        await adapter.aclose()


async def test_every_command_reaches_clpctl_with_exactly_the_intended_argv(sshd, cp):  # noqa: F811
    php = await cp.add_site(SiteSpec("php.example.com", "php", "phpuser", php_version="8.4", vhost_template="Laravel 12",
                                     site_user_password=HOSTILE_PW))
    assert php.confirmed and (sshd.vhost_dir / "php.example.com.conf").exists()
    static = await cp.add_site(SiteSpec("Bücher.example", "static", "buecher"))
    await cp.add_site(SiteSpec("node.example.com", "nodejs", "nodeuser", nodejs_version="22", app_port=3000,
                               site_user_password="Node-pw-123456"))
    await cp.add_site(SiteSpec("py.example.com", "python", "pyuser", python_version="3.10", site_user_password="Py-pw-1234567"))
    await cp.add_site(SiteSpec("proxy.example.com", "reverse-proxy", "proxyuser", reverse_proxy_url="http://127.0.0.1:8000",
                               site_user_password="Proxy-pw-12345"))
    await cp.install_certificate("php.example.com", ["www.php.example.com", "Bücher.example"])
    db = await cp.add_database("php.example.com", "my-database", "john", password=HOSTILE_PW)
    users = await cp.list_users()
    reset = await cp.reset_user_password("john.doe")
    await cp.delete_site("php.example.com")
    # generated passwords are compared by name, so a failing assertion never prints them
    generated = {static.site_user_password: "<static password>", reset.secret: "<reset password>"}
    calls = [[generated.get(w.split("=", 1)[-1], w) if w.startswith("--") and "assword=" in w else w for w in c]
             for c in sshd.calls()]
    assert calls == [
        ["vhost-templates:list"],
        ["site:add:php", "--domainName=php.example.com", "--phpVersion=8.4", "--vhostTemplate=Laravel 12",
         "--siteUser=phpuser", f"--siteUserPassword={HOSTILE_PW}"],
        ["site:add:static", "--domainName=xn--bcher-kva.example", "--siteUser=buecher", "<static password>"],
        ["site:add:nodejs", "--domainName=node.example.com", "--nodejsVersion=22", "--appPort=3000", "--siteUser=nodeuser",
         "--siteUserPassword=Node-pw-123456"],
        ["site:add:python", "--domainName=py.example.com", "--pythonVersion=3.10", "--appPort=8080", "--siteUser=pyuser",
         "--siteUserPassword=Py-pw-1234567"],
        ["site:add:reverse-proxy", "--domainName=proxy.example.com", "--reverseProxyUrl=http://127.0.0.1:8000",
         "--siteUser=proxyuser", "--siteUserPassword=Proxy-pw-12345"],
        ["lets-encrypt:install:certificate", "--domainName=php.example.com",
         "--subjectAlternativeName=www.php.example.com,xn--bcher-kva.example"],
        ["db:add", "--domainName=php.example.com", "--databaseName=my-database", "--databaseUserName=john",
         f"--databaseUserPassword={HOSTILE_PW}"],
        ["user:list"],
        ["user:reset:password", "--userName=john.doe", "<reset password>"],
        ["site:delete", "--domainName=php.example.com", "--force"],
    ]
    assert not Path("/tmp/hostdeck-pwned").exists()  # nothing in the password was run by the shell
    assert not (sshd.vhost_dir / "php.example.com.conf").exists()
    assert [u.email for u in users] == ["john@example.com"] and db.password == HOSTILE_PW
    text = recorded(cp)
    for secret in (HOSTILE_PW, reset.secret, static.site_user_password, "Node-pw-123456"):
        assert secret not in text


async def test_existing_vhost_file_stops_a_create_before_clpctl_runs(sshd, cp):  # noqa: F811
    (sshd.vhost_dir / "taken.example.com.conf").touch()
    with pytest.raises(AlreadyExistsError):
        await cp.add_site(SiteSpec("taken.example.com", "static", "takenuser"))
    assert sshd.calls() == []


async def test_hostile_values_are_refused_or_arrive_as_one_literal_argument(sshd, cp):  # noqa: F811
    with pytest.raises(ValidationError):  # invisible characters are refused even in passwords
        await cp.add_database("a.example.com", "otherdb", "otheruser", password="narrow\u202fspace-pw")
    for domain in ("a.com; touch /tmp/hostdeck-pwned", "$(touch /tmp/hostdeck-pwned).com", "`id`.com", "a.com\nid",
                   "-rf.com", "exa\u200fmple.com"):
        with pytest.raises(ValidationError):
            await cp.add_site(SiteSpec(domain, "static", "someuser"))
    assert sshd.calls() == []
    secret = "pw --force $HOME ; '\" `id` |&<>(){}*?~#\u00e9 \u4e2d"
    result = await cp.reset_user_password("john.doe")
    await cp.add_database("a.example.com", "otherdb", "otheruser", password=secret)
    assert sshd.calls()[-1] == ["db:add", "--domainName=a.example.com", "--databaseName=otherdb",
                                "--databaseUserName=otheruser", f"--databaseUserPassword={secret}"]
    same = sshd.calls()[-2][-1] == f"--password={result.secret}"
    assert same, "the reset password did not arrive as one literal argument"
    assert not Path("/tmp/hostdeck-pwned").exists()
