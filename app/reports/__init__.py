"""Reports and service levels: first-response targets, business hours, and the figures a brand
is judged by (how fast, how often in time, how much, how far behind), computed headless."""
