"""The store's side of reports and service levels: settings rows, the per-mention facts the
inbox's SLA timers and the reports read, and the per-day column packs reports add up."""
