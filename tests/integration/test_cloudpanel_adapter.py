"""The CloudPanel adapter against the simulator over real SSH: host-key trust (unknown, trusted, pinned, changed),
auth, sudo, every command, "already exists", reconcile after ambiguous failures, faults, and no password anywhere
hostdeck records."""

from __future__ import annotations

import logging
import time

import pytest

from hostdeck.backends.cloudpanel import CloudPanelAdapter
from hostdeck.backends.cloudpanel import SiteSpec
from hostdeck.backends.cloudpanel.errors import AlreadyExistsError
from hostdeck.backends.cloudpanel.errors import ChangedHostKeyError
from hostdeck.backends.cloudpanel.errors import HostKeyError
from hostdeck.backends.cloudpanel.errors import OutcomeUnknownError
from hostdeck.backends.cloudpanel.errors import UnknownHostKeyError
from hostdeck.backends.config import BackendConfig
from hostdeck.backends.errors import AuthError
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import PermissionDenied
from hostdeck.backends.errors import ProtocolError
from hostdeck.backends.errors import ReadOnlyError
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.registry import adapter_class
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.sim.cloudpanel import CloudPanelSim

from .cp import isolated_keyring  # noqa: F401  (autouse fixture)
from .cp import recorded  # noqa: F401  (autouse fixture)
from .cp import sim_adapter  # noqa: F401  (autouse fixture)

PW = "Given-pw 'with' $(quotes) `and` ;more"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HOSTDECK_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def sim():
    with CloudPanelSim(seed=3, cert_seconds=0.2) as s:
        yield s


async def trusted(sim, **options) -> CloudPanelAdapter:
    adapter = sim_adapter(sim, **options)
    await adapter.trust_host_key(sim.fingerprint)
    return adapter


@pytest.fixture
async def cp(sim):
    adapter = await trusted(sim)
    yield adapter
    await adapter.aclose()


def clpctl_calls(sim, verb: str = "") -> list[str]:
    return [c for c in sim.commands if c.removeprefix("sudo -n ").startswith(f"clpctl {verb}")]


async def refused_then_not_sent_again(sim, adapter, refused: str, not_sent: str) -> int:
    """The server refuses the credential (`refused` in the error); three more calls are refused here without a
    connection (`not_sent`). Returns the server's count of failed logins, unchanged by those three."""
    with pytest.raises(AuthError, match=refused):
        await adapter.list_users()
    tries = sim.auth_failures
    assert tries >= 1
    for _ in range(3):
        with pytest.raises(AuthError, match=not_sent):
            await adapter.list_users()
    assert sim.auth_failures == tries
    return tries


# host keys --------------------------------------------------------------------------------------------------------------

async def test_unknown_host_key_is_refused_with_its_fingerprint_and_the_trust_command(sim, data_dir):
    adapter = sim_adapter(sim)
    with pytest.raises(UnknownHostKeyError) as err:
        await adapter.list_users()
    e = err.value
    assert e.fingerprint == sim.fingerprint and e.key_type == "ecdsa-sha2-nistp256" and isinstance(e, AuthError)
    assert sim.fingerprint in e.message and "`hostdeck cloudpanel trust cp`" in e.message
    assert f'host_key_fingerprint = "{sim.fingerprint}"' in e.message
    assert sim.commands == [] and sim.auth_failures == 0  # nothing was sent, not even a login
    report = await adapter.test_connection()
    assert not report.ok and report.error.startswith("host key unknown") and sim.fingerprint in report.error
    assert report.details["fix"] == "hostdeck cloudpanel trust cp"
    assert not (data_dir / "known_hosts").exists()
    await adapter.aclose()


async def test_trusted_after_confirming_the_fingerprint(sim, data_dir):
    adapter = sim_adapter(sim)
    info = await adapter.fetch_host_key()
    assert (info.fingerprint, info.state) == (sim.fingerprint, "unknown")
    stored = await adapter.trust_host_key(info.fingerprint.removeprefix("SHA256:"))  # with or without the prefix
    assert stored.state == "trusted"
    text = (data_dir / "known_hosts").read_text()
    assert text.startswith(f"[127.0.0.1]:{sim.address[1]} ecdsa-sha2-nistp256 ")
    assert (data_dir / "known_hosts").stat().st_mode & 0o777 == 0o600
    report = await adapter.test_connection()
    assert report.ok and report.error is None and report.latency_ms > 0
    assert report.details["host_key"]["state"] == "trusted" and report.details["clpctl"] == "/usr/bin/clpctl"
    assert "Laravel 12" in report.details["vhost_templates"]
    assert sim.commands == ["command -v clpctl", "clpctl vhost-templates:list"]
    assert any(e.message.startswith("trust SSH host key") for e in adapter.events.recent())
    await adapter.aclose()


async def test_known_hosts_file_can_be_given_to_the_adapter(sim, data_dir, tmp_path):
    own = tmp_path / "demo" / "known_hosts"
    adapter = CloudPanelAdapter(sim_adapter(sim).config, secrets=Secrets(), known_hosts=own)
    await adapter.trust_host_key(sim.fingerprint)
    assert own.exists() and not (data_dir / "known_hosts").exists()
    assert (await adapter.test_connection()).ok
    await adapter.aclose()


async def test_trust_refuses_a_fingerprint_that_was_not_presented(sim, data_dir):
    adapter = sim_adapter(sim)
    with pytest.raises(ChangedHostKeyError, match="not the SHA256:AAAA"):
        await adapter.trust_host_key("SHA256:AAAA")
    assert not (data_dir / "known_hosts").exists()


async def test_pinned_fingerprint_in_the_config(sim, data_dir):
    adapter = sim_adapter(sim, host_key_fingerprint=sim.fingerprint)
    assert len(await adapter.list_users()) == 3
    assert not (data_dir / "known_hosts").exists()
    await adapter.aclose()
    wrong = sim_adapter(sim, host_key_fingerprint="SHA256:" + "A" * 43)
    with pytest.raises(ChangedHostKeyError, match="the config") as err:
        await wrong.list_users()
    assert err.value.fingerprint == sim.fingerprint and err.value.expected == ("SHA256:" + "A" * 43,)


async def test_changed_host_key_is_refused_loudly_until_replaced(sim, cp):
    old = sim.fingerprint
    await cp.list_users()
    sim.rotate_host_key()
    commands_before = list(sim.commands)
    with pytest.raises(ChangedHostKeyError) as err:
        await cp.list_users()
    e = err.value
    assert "host key CHANGED" in e.message and "intercepting" in e.message and "--replace" in e.message
    assert e.fingerprint == sim.fingerprint and e.expected == (old,) and sim.commands == commands_before
    report = await cp.test_connection()
    assert not report.ok and report.details["host_key"]["state"] == "changed"
    assert report.details["fix"] == "hostdeck cloudpanel trust cp --replace"
    assert (await cp.fetch_host_key()).state == "changed"
    with pytest.raises(ChangedHostKeyError):
        await cp.trust_host_key(sim.fingerprint)  # without --replace: still refused
    info = await cp.trust_host_key(sim.fingerprint, replace=True)
    assert info.expected == (old,)
    assert len(await cp.list_users()) == 3


async def test_wrong_key_or_user_is_an_auth_error_not_a_host_key_error(sim, tmp_path):
    other = CloudPanelSim(seed=99)
    adapter = await trusted(sim, key_file=other.client_key_file)
    with pytest.raises(AuthError) as err:
        await adapter.list_users()
    assert not isinstance(err.value, HostKeyError) and "refused SSH login as 'root'" in err.value.message
    other.stop()
    missing = await trusted(sim, key_file=str(tmp_path / "nope"))
    with pytest.raises(AuthError, match="cannot be read"):
        await missing.list_users()


async def test_encrypted_key_needs_the_passphrase_secret(data_dir):
    with CloudPanelSim(client_key_passphrase="pp-secret-1") as s:
        adapter = await trusted(s)
        assert adapter.secret_fields == ("key_passphrase",)
        with pytest.raises(AuthError, match="hostdeck secret set cp key_passphrase"):
            await adapter.list_users()
        ok = sim_adapter(s, secrets={"key_passphrase": "pp-secret-1"})
        assert len(await ok.list_users()) == 3 and ok.credential_source() == "demo"
        wrong = sim_adapter(s, secrets={"key_passphrase": "nope-nope"})
        with pytest.raises(AuthError, match="passphrase is wrong"):
            await wrong.list_users()
        for a in (adapter, ok, wrong):
            await a.aclose()


async def test_password_login_when_configured(data_dir):
    with CloudPanelSim(password="ssh-pass-123") as s:
        adapter = sim_adapter(s, auth="password", key_file=None, secrets={"password": "ssh-pass-123"})
        assert adapter.secret_fields == ("password",)
        await adapter.trust_host_key(s.fingerprint)
        assert (await adapter.test_connection()).ok
        assert "ssh-pass-123" not in recorded(adapter)
        await adapter.aclose()


async def test_a_refused_password_is_not_tried_again_until_it_changes(data_dir, monkeypatch):
    """The credential guard over SSH: sshd's fail2ban counts failed logins like WHMCS does."""
    from hostdeck.backends.secrets import env_name

    with CloudPanelSim(password="ssh-pass-123") as s:
        wrong = sim_adapter(s, auth="password", key_file=None, secrets={"password": "wrong-pass-1"})
        await wrong.trust_host_key(s.fingerprint)
        tries = await refused_then_not_sent_again(s, wrong, "hostdeck secret set cp password",
                                                   "credentials rejected at .*SSH connect was not sent")
        report = await wrong.test_connection()
        assert not report.ok and report.error.startswith("credentials rejected at") and s.auth_failures == tries
        assert not (await wrong.explicit_test()).ok and s.auth_failures > tries       # asked for: tried once more
        monkeypatch.setenv(env_name("cp", "password"), "ssh-pass-123")                # corrected: used at once
        assert len(await wrong.list_users()) == 3
        assert "ssh-pass-123" not in recorded(wrong) and "wrong-pass-1" not in recorded(wrong)
        await wrong.aclose()


async def test_unreachable_host_is_unavailable(sim):
    adapter = await trusted(sim)
    sim.stop()
    with pytest.raises(UnavailableError, match="cannot connect"):
        await adapter.list_users()
    report = await adapter.test_connection()
    assert not report.ok and "cannot connect" in report.error


# sudo -------------------------------------------------------------------------------------------------------------------
async def test_non_root_user_runs_clpctl_through_sudo_n(data_dir):
    with CloudPanelSim(user="deploy", sudo_nopasswd=True) as s:
        adapter = await trusted(s)
        assert adapter.options.sudo
        assert (await adapter.test_connection()).ok
        await adapter.add_site(SiteSpec("sudo.example.com", "static", "sudouser"))
        assert s.commands[:2] == ["command -v clpctl", "sudo -n clpctl vhost-templates:list"]
        assert all(c.startswith(("sudo -n clpctl ", "test -f ", "command -v")) for c in s.commands)
        s.sudo_nopasswd = False
        with pytest.raises(PermissionDenied, match="sudo needs a password: allow NOPASSWD for clpctl") as err:
            await adapter.list_users()
        assert "deploy ALL=(root) NOPASSWD: /usr/bin/clpctl" in err.value.message
        report = await adapter.test_connection()
        assert not report.ok and "sudo needs a password" in report.error
        await adapter.aclose()


# sites ------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec, argv_tail, fields", [
    (SiteSpec("static.example.com", "static", "statusr"), [], {"type": "static"}),
    (SiteSpec("php.example.com", "php", "phpusr", php_version="8.4", vhost_template="Laravel 12"),
     ["--phpVersion=8.4", "'--vhostTemplate=Laravel 12'"], {"php_version": "8.4", "vhost_template": "Laravel 12"}),
    (SiteSpec("node.example.com", "nodejs", "nodeusr", nodejs_version="20", app_port=3001),
     ["--nodejsVersion=20", "--appPort=3001"], {"nodejs_version": "20", "app_port": 3001}),
    (SiteSpec("py.example.com", "python", "pyusr", python_version="3.12"),
     ["--pythonVersion=3.12", "--appPort=8080"], {"python_version": "3.12", "app_port": 8080}),
    (SiteSpec("proxy.example.com", "reverse-proxy", "proxyusr", reverse_proxy_url="http://127.0.0.1:8000"),
     ["--reverseProxyUrl=http://127.0.0.1:8000"], {"reverse_proxy_url": "http://127.0.0.1:8000"}),
])
async def test_add_site_of_each_kind(sim, cp, spec, argv_tail, fields):
    result = await cp.add_site(spec)
    assert result.confirmed and result.site.domain == spec.domain and result.site.status == "created"
    made = sim.sites[spec.domain]
    assert made["site_user"] == spec.site_user and made["type"] == spec.kind
    assert all(made[k] == v for k, v in fields.items())
    same = made["site_user_password"] == result.site_user_password  # compared quietly: never print a password
    assert same and len(result.site_user_password) == 24, "the host got another password than the one returned"
    wire = clpctl_calls(sim, "site:add")
    assert wire == [" ".join([f"clpctl site:add:{spec.kind}", f"--domainName={spec.domain}", *argv_tail,
                              f"--siteUser={spec.site_user}", "'--siteUserPassword=***'"])]
    checks = [c for c in sim.commands if c.startswith("test -f")]
    assert checks == [f"test -f /etc/nginx/sites-enabled/{spec.domain}.conf"] * 2  # before and after
    assert result.site_user_password not in recorded(cp) + repr(sim.commands) + repr(sim.log) + repr(result)


async def test_add_site_idn_domain_goes_as_punycode(sim, cp):
    result = await cp.add_site(SiteSpec("Bücher.example", "static", "buecher", site_user_password=PW))
    assert result.site.domain == "xn--bcher-kva.example" and "xn--bcher-kva.example" in sim.sites
    assert sim.sites["xn--bcher-kva.example"]["site_user_password"] == PW  # quotes, $( ), backticks arrived literally
    assert sim.unsafe == [] and PW not in recorded(cp)


async def test_existing_site_is_found_before_anything_is_sent(sim, cp):
    domain = next(iter(sim.sites))
    with pytest.raises(AlreadyExistsError) as err:
        await cp.add_site(SiteSpec(domain, "static", "otheruser"))
    assert err.value.field == "domainName" and "nothing was changed" in err.value.message
    assert clpctl_calls(sim, "site:add") == []


@pytest.mark.parametrize("exit_status", [0, 1])
async def test_already_exists_from_clpctl_is_a_conflict_even_with_exit_0(sim, cp, exit_status):
    sim.state.duplicate_exit_status = exit_status
    taken = next(iter(sim.sites.values()))["site_user"]
    with pytest.raises(AlreadyExistsError) as err:
        await cp.add_site(SiteSpec("fresh.example.com", "static", taken))
    assert err.value.field == "siteUser" and err.value.http_status == exit_status
    assert "fresh.example.com" not in sim.sites
    assert [e.level for e in cp.events.recent() if e.path and "site:add" in e.path] == ["warning"]


async def test_invalid_input_is_refused_before_any_call(sim, cp):
    bad = [SiteSpec("a.com; reboot", "static", "auser"), SiteSpec("ok.example.com", "static", "root"),
           SiteSpec("ok.example.com", "php", "auser", php_version="8.4;id"),
           SiteSpec("ok.example.com", "nodejs", "auser", app_port=80),
           SiteSpec("ok.example.com", "reverse-proxy", "auser", reverse_proxy_url="http://x.com/$(id)"),
           SiteSpec("ok.example.com", "static", "auser", site_user_password="short"),
           SiteSpec("ex\u0430mple.com", "static", "auser"), SiteSpec("-rf.example.com", "static", "auser")]
    for spec in bad:
        with pytest.raises(ValidationError) as err:
            await cp.add_site(spec)
        assert err.value.backend == "cp" and str(err.value).startswith("cp: invalid ")
    for call in (cp.delete_site("x.com`id`"), cp.install_certificate("ok.example.com", ["b.com\nreboot"]),
                 cp.add_database("ok.example.com", "db;drop", "dbuser"), cp.reset_user_password("john doe")):
        with pytest.raises(ValidationError):
            await call
    assert sim.commands == [] and sim.unsafe == []


async def test_php_template_must_be_one_the_host_lists(sim, cp):
    with pytest.raises(ValidationError, match="did you mean 'Laravel 12'"):
        await cp.add_site(SiteSpec("t.example.com", "php", "tuser", vhost_template="laravel 12"))
    assert clpctl_calls(sim) == ["clpctl vhost-templates:list"]


async def test_missing_node_version_and_offline_host(sim, cp):
    sim.state.missing_node_versions.add("18")
    with pytest.raises(ValidationError, match="runtime version 18"):
        await cp.add_site(SiteSpec("n.example.com", "nodejs", "nuser", nodejs_version="18"))
    sim.offline = True
    with pytest.raises(UnavailableError, match="outbound DNS") as err:
        await cp.add_site(SiteSpec("o.example.com", "static", "ouser"))
    assert err.value.code == "no_outbound_dns"
    report = await cp.test_connection()
    assert not report.ok and "outbound DNS" in report.error


async def test_dropped_connection_after_the_site_was_made_is_reconciled(sim, cp):
    sim.faults.add("drop", match="site:add")
    result = await cp.add_site(SiteSpec("drop.example.com", "static", "dropuser"))
    assert result.confirmed and "the site is there" in result.message
    same = sim.sites["drop.example.com"]["site_user_password"] == result.site_user_password
    assert same, "the host got another password than the one returned"
    assert len(clpctl_calls(sim, "site:add")) == 1  # never resent
    assert any("found after an unclear failure" in e.message for e in cp.events.recent())


async def test_dropped_or_slow_command_without_a_site_is_an_unknown_outcome(sim):
    cp = await trusted(sim, create_timeout=0.3)
    sim.faults.add("drop", match="site:add", apply=False)
    with pytest.raises(OutcomeUnknownError, match="look again") as err:
        await cp.add_site(SiteSpec("lost.example.com", "static", "lostuser"))
    assert isinstance(err.value, UnavailableError) and "lost.example.com" not in sim.sites
    sim.faults.add("slow", match="site:add", delay=0.6, apply=False)
    started = time.perf_counter()
    with pytest.raises(OutcomeUnknownError, match="within 0.3 s"):
        await cp.add_site(SiteSpec("slow.example.com", "static", "slowuser"))
    assert time.perf_counter() - started < 2.0
    assert len(clpctl_calls(sim, "site:add")) == 2  # one attempt each, never resent
    await cp.aclose()


async def test_exit_0_with_an_error_line_and_a_missing_clpctl(sim, cp):
    sim.faults.add("error_marker", match="site:add")
    with pytest.raises(BackendError, match="unexpected error") as err:
        await cp.add_site(SiteSpec("m.example.com", "static", "muser"))
    assert err.value.http_status == 0
    sim.faults.add("not_found", match="user:list")
    with pytest.raises(ProtocolError, match="is this a CloudPanel server"):
        await cp.list_users()
    sim.clpctl_installed = False
    report = await cp.test_connection()
    assert not report.ok and "clpctl was not found" in report.error


async def test_slow_read_is_retried_once(sim):
    cp = await trusted(sim, command_timeout=0.3)
    sim.faults.add("slow", match="user:list", delay=0.6, apply=False)
    assert len(await cp.list_users()) == 3
    assert len(clpctl_calls(sim, "user:list")) == 2
    await cp.aclose()


async def test_certificate_with_alternative_names_and_dns_not_resolving(sim, cp):
    domain, other = list(sim.sites)[:2]
    started = time.perf_counter()
    result = await cp.install_certificate(domain, [f"alt.{domain}"])
    assert time.perf_counter() - started >= 0.2 and result.status == "success"
    assert sim.sites[domain]["certificate"] == "issued" and sim.sites[domain]["alt_names"] == [f"alt.{domain}"]
    assert clpctl_calls(sim, "lets-encrypt")[0].endswith(f"--subjectAlternativeName=alt.{domain}")
    sim.state.dns_unresolved.add(other)
    with pytest.raises(UnavailableError, match="DNS does not point") as err:
        await cp.install_certificate(other)
    assert err.value.code == "dns_not_ready" and sim.sites[other]["certificate"] == "failed"


async def test_delete_site_with_force_and_missing_site(sim, cp):
    domain = next(iter(sim.sites))
    result = await cp.delete_site(domain)
    assert result.status == "success" and domain not in sim.sites
    assert clpctl_calls(sim, "site:delete") == [f"clpctl site:delete --domainName={domain} --force"]
    with pytest.raises(NotFoundError):
        await cp.delete_site("never.example.com")


async def test_delete_reconciles_after_a_drop(sim, cp):
    domain = next(iter(sim.sites))
    sim.faults.add("drop", match="site:delete")
    result = await cp.delete_site(domain)
    assert result.message == "the site is gone" and domain not in sim.sites


# users and databases ------------------------------------------------------------------------------------------------------
async def test_list_users(sim, cp):
    users = await cp.list_users()
    assert {u.user_name for u in users} == set(sim.users)
    john = next(u for u in users if u.user_name == "john.doe")
    assert (john.email, john.role, john.status) == ("john.doe@example.com", "Admin", "Active")


async def test_reset_password_is_shown_once_and_recorded_nowhere(sim, cp, caplog):
    caplog.set_level(logging.DEBUG)
    result = await cp.reset_user_password("john.doe")
    secret = result.secret
    same = sim.users["john.doe"]["password"] == secret
    assert same and len(secret) == 24, "the host got another password than the one shown"
    assert result.server_id == "john.doe" and secret not in repr(result)
    for place in (recorded(cp), repr(sim.commands), repr(sim.log), caplog.text):
        assert secret not in place
    assert "clpctl user:reset:password --userName=john.doe '--password=***'" in sim.commands
    with pytest.raises(NotFoundError, match="not found"):
        await cp.reset_user_password("nobody")
    assert "nobody" not in sim.users


async def test_add_database_and_duplicates(sim, cp):
    domain = next(iter(sim.sites))
    result = await cp.add_database(domain, "shopdb", "shopdbuser")
    made = sim.databases["shopdb"]
    assert (made["domain"], made["user"]) == (domain, "shopdbuser")
    same = made["password"] == result.password
    assert same, "the host got another password than the one returned"
    assert result.password not in recorded(cp) + repr(sim.commands) + repr(result)
    with pytest.raises(AlreadyExistsError) as err:
        await cp.add_database(domain, "shopdb", "otheruser", password=PW)
    assert err.value.field == "databaseName" and PW not in err.value.message + recorded(cp)
    with pytest.raises(NotFoundError):
        await cp.add_database("none.example.com", "db2", "db2user")


# modes, events, config -------------------------------------------------------------------------------------------------------
async def test_read_only_refuses_writes_before_any_call(sim):
    cp = await trusted(sim, read_only=True)
    for call in (cp.add_site(SiteSpec("r.example.com", "static", "ruser")), cp.delete_site("r.example.com"),
                 cp.install_certificate("r.example.com"), cp.reset_user_password("john.doe"),
                 cp.add_database("r.example.com", "rdb", "rdbuser")):
        with pytest.raises(ReadOnlyError):
            await call
    assert sim.commands == []
    assert len(await cp.list_users()) == 3  # reads still work
    await cp.aclose()


async def test_every_command_is_an_event_with_the_masked_line(sim, cp):
    await cp.add_site(SiteSpec("ev.example.com", "static", "evuser", site_user_password=PW))
    await cp.reset_user_password("jane.roe")
    ssh = [e for e in cp.events.recent() if e.method == "SSH"]
    assert [e.path for e in ssh][:2] == [f"connect root@127.0.0.1:{sim.address[1]}",
                                         "test -f /etc/nginx/sites-enabled/ev.example.com.conf"]
    assert "clpctl site:add:static --domainName=ev.example.com --siteUser=evuser --siteUserPassword=***" in [e.path for e in ssh]
    assert all(e.duration_ms is not None for e in ssh)
    assert [e.status for e in ssh if e.path.startswith("clpctl")] == [0, 0]
    assert PW not in recorded(cp) and "S3cret" not in recorded(cp)
    actions = [e.message for e in cp.events.recent() if e.kind.value == "action"]
    assert "add static site ev.example.com: success" in actions


async def test_registry_config_errors_and_credential_source(sim):
    assert adapter_class("cloudpanel") is CloudPanelAdapter
    broken = CloudPanelAdapter(BackendConfig(name="cp", kind="cloudpanel", options={"host": "127.0.0.1", "port": "22x"}),
                               secrets=Secrets())
    report = await broken.test_connection()
    assert not report.ok and "port" in report.error and "Fix:" in report.error
    assert sim_adapter(sim).credential_source() == "key file"
    assert sim_adapter(sim, user="deploy").options.sudo and not sim_adapter(sim, user="deploy", sudo=False).options.sudo


# learned at first contact: versions and templates come from the host ------------------------------------------------------
@pytest.mark.parametrize("os_name, php, python", [("ubuntu-22.04", "8.5", "3.10"), ("debian-13", "8.5", "3.13")])
async def test_php_and_python_versions_are_the_ones_the_host_offers(sim, cp, os_name, php, python):
    """They change per CloudPanel release and per OS: read from the host (`ls -1 /usr/bin`), never a fixed list."""
    sim.state.use_os(os_name)
    offered = await cp.runtimes()
    assert offered.php == sim.state.php_versions and offered.python == sim.state.python_versions
    await cp.add_site(SiteSpec("php.example.com", "php", "phpuser", php_version=php, vhost_template="Generic"))
    await cp.add_site(SiteSpec("py.example.com", "python", "pyuser", python_version=python))
    assert sim.sites["php.example.com"]["php_version"] == php and sim.sites["py.example.com"]["python_version"] == python


async def test_a_version_the_host_does_not_offer_is_refused_before_any_write(sim, cp):
    sim.state.use_os("debian-13")
    with pytest.raises(ValidationError, match="this host offers 8.1, 8.2, 8.3, 8.4, 8.5"):
        await cp.add_site(SiteSpec("old.example.com", "php", "olduser", php_version="7.4", vhost_template="Generic"))
    with pytest.raises(ValidationError, match="this host offers 3.13"):
        await cp.add_site(SiteSpec("py.example.com", "python", "pyuser", python_version="3.10"))
    assert not [c for c in sim.commands if "site:add" in c]


async def test_one_odd_custom_template_does_not_fail_the_list(sim, cp):
    sim.state.templates += ["Shop (old) 'v2'", "Laravel 12 custom"]
    names = await cp.vhost_templates(refresh=True)
    assert "Laravel 12 custom" in names and "Generic" in names and "Shop (old) 'v2'" not in names
    assert cp.skipped_templates == ["Shop (old) 'v2'"]
    assert any("not offered" in e.message and e.level == "warning" for e in cp.events.recent())



async def test_a_refused_key_is_not_offered_again_until_the_key_changes(data_dir, tmp_path):
    """Key logins count towards fail2ban too: a key the server refused is not offered again by any process until
    key_file names another key (or an explicit test finds it authorized now)."""
    from hostdeck.backends.sim.cloudpanel import derived_key

    with CloudPanelSim() as s:
        stranger = tmp_path / "stranger_key"
        derived_key("a key the server does not know").write_private_key_file(str(stranger))
        wrong = sim_adapter(s, key_file=str(stranger))
        await wrong.trust_host_key(s.fingerprint)
        tries = await refused_then_not_sent_again(s, wrong, "refused SSH login",
                                                   "credentials rejected at .*SSH connect was not sent.*key_file")
        again = sim_adapter(s, key_file=str(stranger))                     # another process, the same key: refused
        again.rejections = wrong.rejections
        assert not (await again.test_connection()).ok and s.auth_failures == tries
        assert not (await again.explicit_test()).ok and s.auth_failures > tries   # asked for: offered once more
        right = sim_adapter(s)                                                # the authorized key: another credential
        right.rejections = wrong.rejections
        assert len(await right.list_users()) == 3
        for adapter in (wrong, again, right):
            await adapter.aclose()
