"""A local runtime that speaks daprd's HTTP API: jobs, state, invocation, pub/sub, actors."""
