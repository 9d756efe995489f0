//! Shared readers of network state (interfaces, routes, addresses) for the `net.*` checks.
