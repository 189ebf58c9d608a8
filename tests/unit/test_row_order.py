"""The grid's natural sort key (hostdeck/tui/row_order.py), without a terminal."""

from hostdeck.tui.row_order import natural_key


def test_natural_key_orders_names_ips_and_numbers() -> None:
    assert sorted(["web-10", "web-2", "Web-1"], key=natural_key) == ["Web-1", "web-2", "web-10"]
    ips = ["10.0.0.10", "10.0.0.2", "9.255.0.1", "10.0.1.1"]
    assert sorted(ips, key=natural_key) == ["9.255.0.1", "10.0.0.2", "10.0.0.10", "10.0.1.1"]
    numbers = ["10", "1.3", "-5", "1.25", "2"]
    assert sorted(numbers, key=natural_key) == ["-5", "1.25", "1.3", "2", "10"]
    mixed = ["16 GB", "4 GB", "", "1.5 GB", "n/a"]
    assert sorted(mixed, key=natural_key) == ["", "1.5 GB", "4 GB", "16 GB", "n/a"]
