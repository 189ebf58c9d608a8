"""What a CloudPanel host offers is read from the host (tests/fixtures/cloudpanel; see the fixtures README)."""

from hostdeck.backends.cloudpanel import parse
from hostdeck.backends.cloudpanel import runtimes
from tests.fixture_paths import FIXTURES

CP = FIXTURES / "cloudpanel"


def test_php_and_python_versions_from_usr_bin():
    found = runtimes.parse((CP / "usr_bin.ubuntu-24.04.txt").read_text())
    assert found.php == ("7.4", "8.1", "8.2", "8.3", "8.4", "8.5")      # php-config8.4, phpize8.4, php: not versions
    assert found.python == ("3.12",)
    assert runtimes.list_command().argv == ("ls", "-1", "/usr/bin") and not runtimes.list_command().root


def test_an_odd_custom_template_is_skipped_not_fatal():
    names, skipped = parse.vhost_template_names((CP / "vhost_templates.odd_custom.txt").read_text(), backend="cp",
                                                host="h")
    assert names == ["Generic", "Laravel 12", "WordPress"] and skipped == ["Shop (old) 'v2'"]
