"""What the adapters share, written once; each adapter keeps only what its API does differently.

- `http_adapter.HttpAdapter`: HTTP cores built from the credentials (guard, redaction, retries, limits), rebuilt when
  a rejected credential is corrected, closed together; read-only refusals; the configured root URL.
- `paging.read_all`: complete listings by page number, offset or a chain of next-page links.
- `connection_test`: the template of `Adapter.test_connection` (the probe, the latency, errors in plain words).
- `answers`: errors every HTTP backend words alike (server error, a proxy's 429, a URL that is not the API).
- `shapes`: reading an answer's objects.
"""
