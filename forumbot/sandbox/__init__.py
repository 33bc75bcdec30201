"""A local Discord-compatible server (REST v10 + Gateway v10) for tests, benchmarks and demos."""
