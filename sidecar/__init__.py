"""A local runtime that speaks daprd's HTTP API: jobs, scheduler, state, invocation, pub/sub, actors."""
