from hostdeck.backends.refresh import REFRESH_SHARE
from hostdeck.backends.refresh import refresh_interval


def test_small_fleet_keeps_configured_interval():
    assert refresh_interval(30, [(2, 1.0)]) == 30


def test_5000_hetzner_servers_stretch_the_interval():
    # 5,000 servers = 100 pages; at a quarter of 1 request/s that is one refresh per 400 s
    assert refresh_interval(30, [(100, 1.0)]) == 100 / (1.0 * REFRESH_SHARE) == 400


def test_unlimited_backends_do_not_stretch():
    assert refresh_interval(10, [(1000, None)]) == 10
