"""Parsing Hetzner's day-2 answers: metric values arrive as strings (or numbers), gaps are left out; images name
the server they came from."""

from __future__ import annotations

from hostdeck.backends.hetzner.day2 import parse_image
from hostdeck.backends.hetzner.day2 import parse_metrics
from hostdeck.backends.operations import ImageKind
from hostdeck.backends.operations import MetricKind


def test_metric_values_become_floats_and_gaps_are_dropped():
    raw = {"start": "2026-12-01T00:00:00Z", "end": "2026-12-01T01:00:00Z", "step": 60,
           "time_series": {"disk.0.iops.read": {"values": [[1435781470.622, "42"], [1435781530.622, None],
                                                           [1435781590.622, 7.5], [1435781650.622, "NaN"], [1435781710.622, "x"]]},
                           "disk.0.bandwidth.write": {"values": []}}}
    metrics = parse_metrics("hz", "42", MetricKind.DISK, "1h", raw)
    by_name = {s.name: s for s in metrics.series}
    assert by_name["disk.0.iops.read"].points == ((1435781470.622, 42.0), (1435781590.622, 7.5))
    assert by_name["disk.0.iops.read"].unit == "iops" and by_name["disk.0.bandwidth.write"].unit == "bytes/s"
    assert metrics.step_seconds == 60.0
    assert metrics.as_json()["series"]["disk.0.iops.read"]["values"] == [[1435781470.622, 42.0], [1435781590.622, 7.5]]


def test_a_snapshot_is_named_by_its_description_and_a_backup_by_its_server():
    snapshot = parse_image("hz", {"id": 7, "type": "snapshot", "name": None, "description": "before upgrade",
                                  "created_from": {"id": 42, "name": "web"}, "image_size": 2.5,
                                  "protection": {"delete": True}})
    assert (snapshot.name, snapshot.kind, snapshot.server_id, snapshot.size_gb, snapshot.protected) == \
        ("before upgrade", ImageKind.SNAPSHOT, "42", 2.5, True)
    backup = parse_image("hz", {"id": 8, "type": "backup", "description": "", "bound_to": 43, "image_size": None})
    assert backup.kind is ImageKind.BACKUP and backup.server_id == "43" and backup.name == "8" and backup.size_gb is None
