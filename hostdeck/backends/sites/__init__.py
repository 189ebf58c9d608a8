"""The site pipeline: CloudPanel site -> Let's Encrypt certificate -> Matomo analytics, each step persisted."""
