"""Care intelligence on the laptop: language, sentiment, personal data, deflections, repeats,
clusters and urgency, in pure Python, offline."""
