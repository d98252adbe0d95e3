#pragma once
// The server's scrape-time families: audit queue depth, health, the served ruleset, central
// shipping, the build and the process. Computed at each scrape from their owners' state; nothing
// here runs on the request path.
#include "audit/audit_log.hpp"
#include "central/ship.hpp"
#include "metrics/registry.hpp"
#include "serve/decide.hpp"
#include "serve/health.hpp"

namespace triage {

// Registers the families on `registry`. Every reference (and `shipper`, null when the server does
// not ship) must outlive every scrape: the owner stops its listeners before destroying them.
void add_server_metrics(metrics::Registry& registry, AuditLog& audit, ServingHealth& health, Decider& decider,
                        const central::BackgroundShipper* shipper);

}  // namespace triage
