"""Where the tests' data files live: inside the repository, never beside it."""
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
