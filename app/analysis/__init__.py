"""Care intelligence on the laptop: personal data, deflections, repeats, clusters, urgency."""
