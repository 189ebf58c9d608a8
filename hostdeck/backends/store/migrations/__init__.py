"""The store's Alembic migrations: env.py and one file per revision in versions/. `store/schema.py` runs them without
an alembic.ini. A new revision is one small file: `revision = "000N"`, `down_revision` the one before, and
`upgrade()`; then `version.HEAD` names it."""
