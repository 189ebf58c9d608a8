"""A stateful `clpctl` for the CloudPanel simulator (no SSH here: argv in, exit status and output out).

It follows cloudpanel.md, "A faithful simulator must": options parsed like the real tool (`--name=value`, unknown
options refused), deliberately varied success text, Symfony-style `<field>: This value already exists.` on duplicates
(exit 0 by default), `Error: ...` lines with exit 1 for invalid versions and unknown templates, `site:delete` waiting
for `yes` without `--force`, slow Let's Encrypt installs that fail for domains whose DNS does not resolve, and the
`publicsuffix.org` resolve error for everything while offline. Output wording is invented: clients must not rely on it.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

TEMPLATES = ("Generic", "Laravel 12", "Laravel 11", "Symfony 7", "WordPress", "WooCommerce", "Matomo 5", "Drupal 11",
             "Joomla 5", "Magento 2", "Shopware 6", "PrestaShop 8", "TYPO3 13", "Nextcloud", "Moodle 4", "Contao 5",
             "Craft CMS 5", "Mautic 5", "phpMyAdmin", "Slim 4", "Yii 2", "CakePHP 5", "CodeIgniter 4")
# What a host offers depends on the CloudPanel release and the OS (cloudpanel-io/docs v2 changelog: PHP 8.5 in v2.5.3;
# "on Ubuntu 22.04 the Python version must be 3.10"). The PHP and Python versions are the `phpX.Y` / `python3.Y`
# programs in /usr/bin (`ls -1 /usr/bin` shows them); the per-OS lists below are the simulator's choice.
OS_RUNTIMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ubuntu-22.04": (("7.1", "7.2", "7.3", "7.4", "8.0", "8.1", "8.2", "8.3", "8.4", "8.5"), ("3.10",)),
    "ubuntu-24.04": (("7.4", "8.0", "8.1", "8.2", "8.3", "8.4", "8.5"), ("3.12",)),
    "debian-12": (("7.4", "8.0", "8.1", "8.2", "8.3", "8.4", "8.5"), ("3.11",)),
    "debian-13": (("8.1", "8.2", "8.3", "8.4", "8.5"), ("3.13",)),
}
PHP, PYTHON = OS_RUNTIMES["ubuntu-24.04"]
NODE = tuple(str(v) for v in range(12, 25, 2))   # what nvm installs here; others: "Version 'N' not found"
USR_BIN = ("bash", "cat", "clpctl", "curl", "git", "ls", "mysql", "nano", "perl", "php", "python3", "rsync", "sudo",
           "test", "wget")
OFFLINE = ("In CurlFactory.php line 210:\n\n  cURL error 6: Could not resolve host: publicsuffix.org (see "
           "https://curl.haxx.se/libcurl/c/libcurl-errors.html) for https://publicsuffix.org/list/public_suffix_list.dat\n")
COMMAND_LIST = """CloudPanel CLI (simulated)

Usage:
  command [options] [arguments]

Available commands:
  cloudflare:update:ips                 Updates the Cloudflare IPs.
  db:add                                Adds a database.
  db:show:master-credentials            Shows the master credentials.
  lets-encrypt:install:certificate      Installs a Let's Encrypt certificate.
  site:add:nodejs                       Adds a Node.js site.
  site:add:php                          Adds a PHP site.
  site:add:python                       Adds a Python site.
  site:add:reverse-proxy                Adds a reverse proxy.
  site:add:static                       Adds a static site.
  site:delete                           Deletes a site.
  user:list                             Lists the users.
  user:reset:password                   Resets the password of a user.
  vhost-templates:list                  Lists the vhost templates.
"""
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")
_USER = re.compile(r"^[a-z][a-z0-9_-]{2,31}$")
SITE_USER_OPTS = ("domainName", "siteUser", "siteUserPassword")
# verb -> (required options, optional options, flags)
SPEC: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "site:add:static": (SITE_USER_OPTS, (), ()),
    "site:add:php": (SITE_USER_OPTS + ("phpVersion", "vhostTemplate"), (), ()),
    "site:add:nodejs": (SITE_USER_OPTS + ("nodejsVersion", "appPort"), (), ()),
    "site:add:python": (SITE_USER_OPTS + ("pythonVersion", "appPort"), (), ()),
    "site:add:reverse-proxy": (SITE_USER_OPTS + ("reverseProxyUrl",), (), ()),
    "lets-encrypt:install:certificate": (("domainName",), ("subjectAlternativeName",), ()),
    "site:delete": (("domainName",), (), ("force",)),
    "db:add": (("domainName", "databaseName", "databaseUserName", "databaseUserPassword"), (), ()),
    "user:list": ((), (), ()),
    "user:reset:password": (("userName", "password"), (), ()),
    "vhost-templates:list": ((), (), ()),
}
SUCCESS = {
    "site": ("Site has been created.", "\x1b[32m[OK] Site {d} has been added.\x1b[0m", "Adding site {d} ... done.",
             "", "Creating site user ...\nCreating vhost ...\nSite {d} added successfully."),
    "cert": ("Certificate has been installed.", "\x1b[32m[OK]\x1b[0m Let's Encrypt certificate issued for {d}.",
             "Requesting certificate ...\nInstalling certificate ... done", ""),
    "delete": ("Site {d} has been deleted.", "\x1b[32m[OK]\x1b[0m Deleted.", "", "Removing site {d} ... done."),
    "db": ("Database has been added.", "\x1b[32m[OK] Database {n} created.\x1b[0m", "", "Adding database {n} ... done."),
    "password": ("Password has been reset.", "\x1b[32m[OK]\x1b[0m Password changed.", ""),
}

Result = tuple[int, str, str]  # exit status, stdout, stderr
ReadLine = Callable[[], str | None]
Sleep = Callable[[float], bool]


@dataclass
class SimState:
    """Everything the simulated CloudPanel host holds. Tests may read and change it directly."""

    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    databases: dict[str, dict[str, Any]] = field(default_factory=dict)
    templates: list[str] = field(default_factory=lambda: list(TEMPLATES))
    os: str = "ubuntu-24.04"                                   # decides the PHP and Python versions on offer
    php_versions: tuple[str, ...] = PHP
    python_versions: tuple[str, ...] = PYTHON
    dns_unresolved: set[str] = field(default_factory=set)      # lets-encrypt fails for these domains
    missing_node_versions: set[str] = field(default_factory=set)  # "Version '18' not found" (cloudpanel-ce#681)
    offline: bool = False                                       # everything fails: Could not resolve host
    duplicate_exit_status: int = 0                              # exit status with "This value already exists."
    cert_seconds: float = 0.2
    vhost_dir: str = "/etc/nginx/sites-enabled"

    def use_os(self, name: str) -> None:
        self.os = name
        self.php_versions, self.python_versions = OS_RUNTIMES[name]

    def usr_bin(self) -> str:
        """What `ls -1 /usr/bin` prints: the usual programs and one `phpX.Y`, `php-configX.Y`, `python3.Y` per runtime."""
        names = set(USR_BIN) | {f"php{v}" for v in self.php_versions} | {f"php-config{v}" for v in self.php_versions}
        names |= {f"python{v}" for v in self.python_versions}
        return "".join(f"{n}\n" for n in sorted(names))

    def site_users(self) -> set[str]:
        return {s["site_user"] for s in self.sites.values()}

    def database_users(self) -> set[str]:
        return {d["user"] for d in self.databases.values()}


def seed_state(state: SimState, seed: int) -> None:
    rng = random.Random(seed)
    for i, (first, last, role) in enumerate([("John", "Doe", "admin"), ("Jane", "Roe", "site-manager"), ("Max", "Muster", "user")]):
        name = f"{first.lower()}.{last.lower()}"
        state.users[name] = {"first_name": first, "last_name": last, "email": f"{name}@example.com", "role": role,
                             "status": "Active" if i < 2 or rng.random() < 0.5 else "Inactive", "password": f"seed-{rng.random()}"}
    words = ["shop", "blog", "docs", "app", "news", "wiki", "mail", "portal"]
    rng.shuffle(words)
    for word, kind in zip(words[:3], ("php", "static", "nodejs")):
        domain = f"www.{word}-{rng.randint(10, 99)}.example.com"
        site: dict[str, Any] = {"type": kind, "domain": domain, "site_user": f"{word}user", "certificate": "none",
                                "alt_names": []}
        if kind == "php":
            site.update(php_version="8.3", vhost_template="Generic")
        if kind == "nodejs":
            site.update(nodejs_version="22", app_port=3000)
        state.sites[domain] = site


class Clpctl:
    """Runs one `clpctl` argv against the state. `read_line` reads a line from stdin (None on EOF); `sleep` waits
    and returns False when the simulator is stopping."""

    def __init__(self, state: SimState, rng: random.Random) -> None:
        self.state = state
        self.rng = rng
        self.lock = threading.Lock()

    def _say(self, group: str, **values: str) -> str:
        text = self.rng.choice(SUCCESS[group]).format(**values)
        return text + "\n" if text else ""

    def _error(self, message: str) -> Result:
        return 1, "", f"\n Error: {message}\n\n" if self.rng.random() < 0.5 else f"Error: {message}\n"

    def _duplicate(self, field_name: str) -> Result:
        line = f"{field_name}: This value already exists.\n"
        stream = self.rng.random() < 0.5
        return self.state.duplicate_exit_status, ("" if stream else line), (line if stream else "")

    def run(self, args: list[str], read_line: ReadLine, sleep: Sleep) -> Result:
        if not args:
            return 0, COMMAND_LIST, ""
        verb, rest = args[0], args[1:]
        if verb in ("--version", "-V"):
            return 0, "CloudPanel CLI 2.5.1 (simulated)\n", ""
        if verb not in SPEC:
            return 1, "", f'\n  Command "{verb}" is not defined.  \n\n'
        if self.state.offline:
            return 1, "", OFFLINE
        parsed = self._options(verb, rest)
        if isinstance(parsed, tuple):
            return parsed
        handler: Callable[[dict[str, str], ReadLine, Sleep], Result] = getattr(self, "_" + re.sub(r"[^a-z]", "_", verb))
        return handler(parsed, read_line, sleep)

    def _options(self, verb: str, rest: list[str]) -> dict[str, str] | Result:
        required, optional, flags = SPEC[verb]
        values: dict[str, str] = {}
        for word in rest:
            if not word.startswith("--"):
                return 1, "", f'\n  No arguments expected for "{verb}" command, got "{word}".  \n\n'
            name, eq, value = word[2:].partition("=")
            if name in flags and not eq:
                values[name] = "1"
            elif name in required + optional and eq:
                values[name] = value
            elif name in required + optional:
                return 1, "", f'\n  The "--{name}" option requires a value.  \n\n'
            else:
                return 1, "", f'\n  The "--{name}" option does not exist.  \n\n'
        missing = [n for n in required if not values.get(n)]
        if missing:
            return 1, "", f'\n  Not enough options (missing: "{", ".join(missing)}").  \n\n'
        return values

    # sites ----------------------------------------------------------------------------------------------------------
    def _site_add(self, kind: str, o: dict[str, str], extra: dict[str, Any]) -> Result:
        domain, user = o["domainName"], o["siteUser"]
        if not _DOMAIN.match(domain):
            return self._error(f'The domain name "{domain}" is not valid.')
        if not _USER.match(user):
            return self._error(f'The site user "{user}" is not valid.')
        with self.lock:
            if domain in self.state.sites:
                return self._duplicate("domainName")
            if user in self.state.site_users():
                return self._duplicate("siteUser")
            self.state.sites[domain] = {"type": kind, "domain": domain, "site_user": user, "certificate": "none",
                                        "alt_names": [], "site_user_password": o["siteUserPassword"], **extra}
        return 0, self._say("site", d=domain), ""

    def _site_add_static(self, o: dict[str, str], read_line: ReadLine, sleep: Sleep) -> Result:
        return self._site_add("static", o, {})

    def _site_add_php(self, o: dict[str, str], read_line: ReadLine, sleep: Sleep) -> Result:
        if o["phpVersion"] not in self.state.php_versions:
            return self._error(f'PHP version "{o["phpVersion"]}" is not supported. Supported: '
                               f'{", ".join(self.state.php_versions)}.')
        if o["vhostTemplate"] not in self.state.templates:
            return self._error(f'Vhost Template "{o["vhostTemplate"]}" not found.')
        return self._site_add("php", o, {"php_version": o["phpVersion"], "vhost_template": o["vhostTemplate"]})

    def _port(self, o: dict[str, str]) -> int | None:
        return int(o["appPort"]) if o["appPort"].isdigit() and 1 <= int(o["appPort"]) <= 65535 else None

    def _site_add_nodejs(self, o: dict[str, str], read_line: ReadLine, sleep: Sleep) -> Result:
        version = o["nodejsVersion"]
        if not version.isdigit():
            return self._error(f'Node.js version "{version}" is not supported.')
        if version not in NODE or version in self.state.missing_node_versions:
            return 1, "Installing Node.js ...\n", f"Version '{version}' not found - try `nvm ls-remote` to browse available versions.\n"
        if self._port(o) is None:
            return self._error(f'The app port "{o["appPort"]}" is not valid.')
        return self._site_add("nodejs", o, {"nodejs_version": version, "app_port": self._port(o)})

    def _site_add_python(self, o: dict[str, str], read_line: ReadLine, sleep: Sleep) -> Result:
        if o["pythonVersion"] not in self.state.python_versions:
            return self._error(f'Python version "{o["pythonVersion"]}" is not supported.')
        if self._port(o) is None:
            return self._error(f'The app port "{o["appPort"]}" is not valid.')
        return self._site_add("python", o, {"python_version": o["pythonVersion"], "app_port": self._port(o)})

    def _site_add_reverse_proxy(self, o: dict[str, str], read_line: ReadLine, sleep: Sleep) -> Result:
        if not re.match(r"^https?://[^\s/]+", o["reverseProxyUrl"]):
            return self._error(f'The reverse proxy url "{o["reverseProxyUrl"]}" is not valid.')
        return self._site_add("reverse-proxy", o, {"reverse_proxy_url": o["reverseProxyUrl"]})

    def _lets_encrypt_install_certificate(self, o: dict[str, str], read_line: ReadLine, sleep: Sleep) -> Result:
        domain = o["domainName"]
        alt = [a for a in o.get("subjectAlternativeName", "").split(",") if a]
        if domain not in self.state.sites:
            return self._error(f'Site "{domain}" not found.')
        if not sleep(self.state.cert_seconds):
            return 1, "", "Interrupted.\n"
        bad = [d for d in [domain, *alt] if d in self.state.dns_unresolved or d.removeprefix("www.") in self.state.dns_unresolved]
        if bad:
            with self.lock:
                self.state.sites[domain]["certificate"] = "failed"
            return 1, "Requesting certificate ...\n", (
                f"Error: Domain validation failed for {bad[0]}: DNS problem: NXDOMAIN looking up A for {bad[0]} - check "
                "that a DNS record exists for this domain.\n")
        with self.lock:
            site = self.state.sites.get(domain)
            if site is None:
                return self._error(f'Site "{domain}" not found.')
            site["certificate"] = "issued"
            site["alt_names"] = alt
        return 0, self._say("cert", d=domain), ""

    def _site_delete(self, o: dict[str, str], read_line: ReadLine, sleep: Sleep) -> Result:
        domain = o["domainName"]
        if domain not in self.state.sites:
            return self._error(f'Site "{domain}" not found.')
        prompt = f"Do you really want to delete the site {domain}? (yes/no) [no]:\n > "
        if "force" not in o:
            answer = read_line()
            if answer is None:
                return 1, prompt, "\n  Aborted.  \n\n"
            if answer.strip().lower() not in ("yes", "y"):
                return 1, prompt, "Aborted.\n"
        with self.lock:
            site = self.state.sites.pop(domain, None)
            for name in [n for n, d in self.state.databases.items() if d["domain"] == domain]:
                del self.state.databases[name]
        if site is None:
            return self._error(f'Site "{domain}" not found.')
        return 0, ("" if "force" in o else prompt) + self._say("delete", d=domain), ""

    # databases, users, templates -----------------------------------------------------------------------------------------
    def _db_add(self, o: dict[str, str], read_line: ReadLine, sleep: Sleep) -> Result:
        domain, name, user = o["domainName"], o["databaseName"], o["databaseUserName"]
        if domain not in self.state.sites:
            return self._error(f'Site "{domain}" not found.')
        if not re.match(r"^[A-Za-z0-9_-]{1,64}$", name):
            return self._error(f'The database name "{name}" is not valid.')
        with self.lock:
            if name in self.state.databases:
                return self._duplicate("databaseName")
            if user in self.state.database_users():
                return self._duplicate("databaseUserName")
            self.state.databases[name] = {"domain": domain, "user": user, "password": o["databaseUserPassword"]}
        return 0, self._say("db", n=name), ""

    def _user_list(self, o: dict[str, str], read_line: ReadLine, sleep: Sleep) -> Result:
        header = ["User Name", "First Name", "Last Name", "E-Mail", "Role", "Status"]
        rows = [[n, u["first_name"], u["last_name"], u["email"], u["role"].replace("-", " ").title(), u["status"]]
                for n, u in sorted(self.state.users.items())]
        return 0, symfony_table(header, rows), ""

    def _user_reset_password(self, o: dict[str, str], read_line: ReadLine, sleep: Sleep) -> Result:
        with self.lock:
            user = self.state.users.get(o["userName"])
            if user is None:
                return self._error(f'User "{o["userName"]}" not found.')
            user["password"] = o["password"]
        return 0, self._say("password"), ""

    def _vhost_templates_list(self, o: dict[str, str], read_line: ReadLine, sleep: Sleep) -> Result:
        return 0, symfony_table(["Name"], [[t] for t in self.state.templates]), ""


def symfony_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(cells: list[str]) -> str:
        return "|" + "|".join(f" {str(c):<{w}} " for c, w in zip(cells, widths)) + "|"

    return "\n".join([rule, line(header), rule, *[line(r) for r in rows], rule]) + "\n"
