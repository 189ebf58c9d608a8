"""The schema revision this hostdeck writes: the newest Alembic revision in migrations/versions/ (a test holds the two
together). Revisions are numbered ("0001", "0002", ...), so a store at a higher number was written by a newer hostdeck.
Read without importing Alembic: the stdlib fast paths compare a store's `alembic_version` with it."""

HEAD = "0002"
# The last hand-written schema version (meta.schema_version, before Alembic) and the revision whose schema it is: an
# older store takes the hand-written steps to it (legacy.py), then is stamped with that revision.
LEGACY_LAST, LEGACY_REVISION = 6, "0002"


def is_newer(revision: str) -> bool:
    """A revision this hostdeck does not know: a higher number, or not a number of ours at all."""
    return not revision.isdigit() or int(revision) > int(HEAD)
