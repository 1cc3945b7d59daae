"""Care intelligence on this computer: language, sentiment, and the rules built on them."""
