"""
The built-in policy families, one module each.

- [notices][deskflow.policies.notices]: SLA threshold notices and ITIL hierarchical notices;
- [tiers][deskflow.policies.tiers]: functional escalation from tier to tier;
- [ladders][deskflow.policies.ladders]: the PagerDuty-style escalation ladder;
- [priority_rules][deskflow.policies.priority_rules]: weighted scores, per-service matrices,
  a VIP floor and rule chains;
- [routers][deskflow.policies.routers]: filters and rankers that pick an agent;
- [queues][deskflow.policies.queues]: rule tables from category and service to a group, and
  the pull queue.

The protocols they implement live in the modules of their concept: escalation, priority and
routing. A host's own policy implements the same protocol and needs nothing from here.
"""
