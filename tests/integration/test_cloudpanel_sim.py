"""The CloudPanel simulator over real SSH with a plain paramiko client: host keys, auth, sudo, the clpctl state machine,
duplicates, prompts, slow certificates, offline mode, faults and the masked command record."""

from __future__ import annotations

import time

import paramiko
import pytest

from hostdeck.backends.sim.cloudpanel import CloudPanelSim
from hostdeck.backends.sim.cloudpanel import derived_key
from hostdeck.backends.sim.cloudpanel import sha256_fingerprint

from .cp import raw_client
from .cp import run

PW = "S3cret-$(id)-'q'"


@pytest.fixture
def sim():
    with CloudPanelSim(seed=5, cert_seconds=0.2) as s:
        yield s


@pytest.fixture
def client(sim):
    c = raw_client(sim)
    yield c
    c.close()


def clp(client, *words: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    import shlex

    return run(client, " ".join(shlex.quote(w) for w in ("clpctl", *words)), stdin=stdin)


# host keys and auth -----------------------------------------------------------------------------------------------------
def test_host_key_is_fixed_per_seed_and_rotates_on_demand(sim, client):
    assert client.get_transport().get_remote_server_key() == sim.host_key
    assert CloudPanelSim(seed=5).fingerprint == sim.fingerprint != CloudPanelSim(seed=6).fingerprint
    assert sim.fingerprint == sha256_fingerprint(sim.host_key) and sim.fingerprint.startswith("SHA256:")
    old = sim.fingerprint
    sim.rotate_host_key()
    assert sim.fingerprint != old
    deadline = time.monotonic() + 2
    while client.get_transport().is_active() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not client.get_transport().is_active()  # open connections dropped
    with pytest.raises(paramiko.BadHostKeyException):
        c = paramiko.SSHClient()
        host, port = sim.address
        c.get_host_keys().add(f"[{host}]:{port}", "ecdsa-sha2-nistp256", derived_key("hostdeck-cloudpanel-sim-host:5:0"))
        c.connect(host, port=port, username="root", pkey=sim.authorized_key, allow_agent=False, look_for_keys=False)


def test_key_authentication_only_for_the_configured_user(sim):
    with pytest.raises(paramiko.AuthenticationException):
        raw_client(sim, key=derived_key("someone else"))
    with pytest.raises(paramiko.AuthenticationException):
        raw_client(sim, user="admin")
    assert sim.auth_failures >= 2


def test_password_authentication_when_configured():
    with CloudPanelSim(password="pw-123456") as s:
        host, port = s.address
        c = paramiko.SSHClient()
        c.get_host_keys().add(f"[{host}]:{port}", s.host_key.get_name(), s.host_key)
        c.connect(host, port=port, username="root", password="pw-123456", allow_agent=False, look_for_keys=False)
        assert run(c, "command -v clpctl")[0] == 0
        c.close()


def test_client_key_file_matches_the_authorized_key():
    with CloudPanelSim(client_key_passphrase="pp-secret") as s:
        with pytest.raises((paramiko.PasswordRequiredException, TypeError)):
            paramiko.PKey.from_path(s.client_key_file)
        assert paramiko.PKey.from_path(s.client_key_file, password=b"pp-secret") == s.authorized_key


# the little shell ----------------------------------------------------------------------------------------------------------
def test_shell_answers_presence_vhost_files_and_unknown_commands(sim, client):
    assert run(client, "command -v clpctl") == (0, "/usr/bin/clpctl\n", "")
    domain = next(iter(sim.sites))
    assert run(client, f"test -f /etc/nginx/sites-enabled/{domain}.conf")[0] == 0
    assert run(client, "test -f /etc/nginx/sites-enabled/nope.example.com.conf")[0] == 1
    status, _, err = run(client, "wget http://x")
    assert status == 127 and "command not found" in err
    sim.clpctl_installed = False
    assert run(client, "command -v clpctl")[0] == 1
    assert run(client, "clpctl user:list")[0] == 127


def test_unquoted_shell_metacharacters_are_refused_and_flagged(sim, client):
    status, _, err = run(client, "clpctl site:add:static --domainName=a.com;reboot")
    assert status == 2 and "quote" in err
    assert sim.unsafe == ["clpctl site:add:static --domainName=a.com;reboot"]
    assert "a.com" not in sim.sites


def test_non_root_user_needs_sudo_n_with_nopasswd():
    with CloudPanelSim(user="deploy", sudo_nopasswd=True) as s:
        c = raw_client(s)
        status, _, err = run(c, "clpctl user:list")
        assert status == 1 and "a password is required" in err
        assert run(c, "sudo -n clpctl user:list")[0] == 0
        assert run(c, "command -v clpctl")[0] == 0  # no sudo needed for the checks
        s.sudo_nopasswd = False
        assert run(c, "sudo -n clpctl user:list") == (1, "", "sudo: a password is required\n")
        c.close()


# clpctl ------------------------------------------------------------------------------------------------------------------------
def test_sites_of_every_kind_are_created_with_their_fields(sim, client):
    assert clp(client, "site:add:php", "--domainName=p.example.com", "--phpVersion=8.4", "--vhostTemplate=Laravel 12",
               "--siteUser=puser", f"--siteUserPassword={PW}")[0] == 0
    assert clp(client, "site:add:static", "--domainName=s.example.com", "--siteUser=suser", f"--siteUserPassword={PW}")[0] == 0
    assert clp(client, "site:add:nodejs", "--domainName=n.example.com", "--nodejsVersion=20", "--appPort=3000",
               "--siteUser=nuser", f"--siteUserPassword={PW}")[0] == 0
    assert clp(client, "site:add:python", "--domainName=y.example.com", "--pythonVersion=3.12", "--appPort=8080",
               "--siteUser=yuser", f"--siteUserPassword={PW}")[0] == 0
    assert clp(client, "site:add:reverse-proxy", "--domainName=r.example.com", "--reverseProxyUrl=http://127.0.0.1:8000",
               "--siteUser=ruser", f"--siteUserPassword={PW}")[0] == 0
    assert sim.sites["p.example.com"]["vhost_template"] == "Laravel 12" and sim.sites["p.example.com"]["php_version"] == "8.4"
    assert sim.sites["n.example.com"]["app_port"] == 3000 and sim.sites["y.example.com"]["python_version"] == "3.12"
    assert sim.sites["r.example.com"]["reverse_proxy_url"] == "http://127.0.0.1:8000"
    assert sim.sites["s.example.com"]["site_user_password"] == PW
    assert run(client, "test -f /etc/nginx/sites-enabled/r.example.com.conf")[0] == 0


def test_success_text_is_deliberately_varied():
    texts = set()
    for seed in range(4):
        with CloudPanelSim(seed=seed) as s:
            c = raw_client(s)
            for i in range(3):
                texts.add(clp(c, "site:add:static", f"--domainName=s{i}.example.com", f"--siteUser=user{i}x",
                              f"--siteUserPassword={PW}")[1])
            c.close()
    assert len(texts) >= 3


def test_duplicates_say_already_exists_with_exit_0_or_1(sim, client):
    domain, site = next(iter(sim.sites.items()))
    status, out, err = clp(client, "site:add:static", f"--domainName={domain}", "--siteUser=newuser", f"--siteUserPassword={PW}")
    assert status == 0 and "domainName: This value already exists." in out + err
    sim.state.duplicate_exit_status = 1
    status, out, err = clp(client, "site:add:static", "--domainName=new.example.com", f"--siteUser={site['site_user']}",
                           f"--siteUserPassword={PW}")
    assert status == 1 and "siteUser: This value already exists." in out + err
    assert "new.example.com" not in sim.sites


def test_invalid_versions_templates_and_options_are_errors(sim, client):
    status, out, err = clp(client, "site:add:php", "--domainName=p.example.com", "--phpVersion=5.6", "--vhostTemplate=Generic",
                           "--siteUser=puser", f"--siteUserPassword={PW}")
    assert status == 1 and "Error:" in err
    status, _, err = clp(client, "site:add:php", "--domainName=p.example.com", "--phpVersion=8.3", "--vhostTemplate=generic",
                         "--siteUser=puser", f"--siteUserPassword={PW}")
    assert status == 1 and "Error:" in err and "not found" in err
    status, _, err = clp(client, "site:add:static", "--domainName=p.example.com", "--bogus=1")
    assert status == 1 and 'The "--bogus" option does not exist.' in err
    status, _, err = clp(client, "site:add:static", "--domainName=p.example.com")
    assert status == 1 and "missing" in err
    status, _, err = clp(client, "site:list")
    assert status == 1 and "is not defined" in err
    sim.state.missing_node_versions.add("18")
    status, out, err = clp(client, "site:add:nodejs", "--domainName=n.example.com", "--nodejsVersion=18", "--appPort=3000",
                           "--siteUser=nuser", f"--siteUserPassword={PW}")
    assert status == 1 and "Version '18' not found" in err
    assert "p.example.com" not in sim.sites and "n.example.com" not in sim.sites


def test_delete_without_force_waits_for_yes(sim, client):
    first, second, third = list(sim.sites)
    status, out, err = clp(client, "site:delete", f"--domainName={first}")
    assert status == 1 and "(yes/no)" in out and "Aborted" in err and first in sim.sites  # stdin closed: EOF
    status, _, _ = clp(client, "site:delete", f"--domainName={first}", stdin=b"no\n")
    assert status == 1 and first in sim.sites
    assert clp(client, "site:delete", f"--domainName={first}", stdin=b"yes\n")[0] == 0 and first not in sim.sites
    assert clp(client, "site:delete", f"--domainName={second}", "--force")[0] == 0 and second not in sim.sites
    status, _, err = clp(client, "site:delete", "--domainName=gone.example.com", "--force")
    assert status == 1 and "not found" in err


def test_certificates_are_slow_and_need_resolving_dns(sim, client):
    domain = next(iter(sim.sites))
    started = time.perf_counter()
    assert clp(client, "lets-encrypt:install:certificate", f"--domainName={domain}",
               "--subjectAlternativeName=a.example.com,b.example.com")[0] == 0
    assert time.perf_counter() - started >= 0.2
    assert sim.sites[domain]["certificate"] == "issued" and sim.sites[domain]["alt_names"] == ["a.example.com", "b.example.com"]
    other = list(sim.sites)[1]
    sim.state.dns_unresolved.add(other)
    status, _, err = clp(client, "lets-encrypt:install:certificate", f"--domainName={other}")
    assert status == 1 and "DNS problem" in err and sim.sites[other]["certificate"] == "failed"


def test_offline_fails_everything_with_the_publicsuffix_error(sim, client):
    sim.offline = True
    for words in (["user:list"], ["vhost-templates:list"], ["site:add:static", "--domainName=o.example.com",
                                                             "--siteUser=ouser", f"--siteUserPassword={PW}"]):
        status, _, err = clp(client, *words)
        assert status == 1 and "Could not resolve host: publicsuffix.org" in err
    assert "o.example.com" not in sim.sites


def test_databases_users_and_templates(sim, client):
    domain = next(iter(sim.sites))
    assert clp(client, "db:add", f"--domainName={domain}", "--databaseName=shopdb", "--databaseUserName=shopusr",
               f"--databaseUserPassword={PW}")[0] == 0
    assert sim.databases["shopdb"] == {"domain": domain, "user": "shopusr", "password": PW}
    status, out, err = clp(client, "db:add", f"--domainName={domain}", "--databaseName=shopdb", "--databaseUserName=other",
                           f"--databaseUserPassword={PW}")
    assert status == 0 and "databaseName: This value already exists." in out + err
    status, out, _ = clp(client, "user:list")
    assert status == 0 and "| User Name" in out and "john.doe" in out
    assert clp(client, "user:reset:password", "--userName=john.doe", f"--password={PW}")[0] == 0
    assert sim.users["john.doe"]["password"] == PW
    assert "not found" in clp(client, "user:reset:password", "--userName=nobody", f"--password={PW}")[2]
    status, out, _ = clp(client, "vhost-templates:list")
    assert status == 0 and "| Laravel 12" in out and "| Generic" in out


# faults ---------------------------------------------------------------------------------------------------------------------
def test_faults_slow_drop_error_marker_and_not_found(sim, client):
    sim.faults.add("error_marker", match="user:list")
    status, out, err = clp(client, "user:list")
    assert status == 0 and err.startswith("Error:")
    sim.faults.add("not_found", match="user:list")
    assert clp(client, "user:list")[0] == 127
    assert clp(client, "user:list")[0] == 0  # count=1 each: back to normal

    sim.faults.add("slow", match="user:list", delay=0.3)
    started = time.perf_counter()
    assert clp(client, "user:list")[0] == 0 and time.perf_counter() - started >= 0.3

    sim.faults.add("drop", match="site:add")
    status, _, _ = clp(client, "site:add:static", "--domainName=d.example.com", "--siteUser=duser", f"--siteUserPassword={PW}")
    assert status == -1 and not client.get_transport().is_active()
    assert "d.example.com" in sim.sites  # it ran before the connection dropped

    c2 = raw_client(sim)
    sim.faults.add("drop", match="site:add", apply=False)
    assert clp(c2, "site:add:static", "--domainName=e.example.com", "--siteUser=euser", f"--siteUserPassword={PW}")[0] == -1
    assert "e.example.com" not in sim.sites
    with pytest.raises(ValueError):
        sim.faults.add("explode")


def test_every_command_line_is_recorded_with_passwords_masked(sim, client):
    clp(client, "site:add:static", "--domainName=m.example.com", "--siteUser=muser", f"--siteUserPassword={PW}")
    clp(client, "user:reset:password", "--userName=john.doe", f"--password={PW}")
    run(client, "clpctl user:reset:password --userName=john.doe --password=bare;oops")
    assert sim.commands[0] == "clpctl site:add:static --domainName=m.example.com --siteUser=muser '--siteUserPassword=***'"
    assert sim.commands[1] == "clpctl user:reset:password --userName=john.doe '--password=***'"
    assert sim.commands[2] == "clpctl user:reset:password --userName=john.doe --password=***"  # unsafe line, still masked
    everything = repr(sim.commands) + repr(sim.log) + repr(sim.unsafe)
    assert PW not in everything and "S3cret" not in everything and "bare" not in everything
    assert sim.log[0]["exit"] == 0 and sim.log[0]["argv"][-1] == "--siteUserPassword=***"
