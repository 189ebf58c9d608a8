"""What every adapter over an API shares: complete paged listings and the connection-test template."""
