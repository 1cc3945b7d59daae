"""The composer and what it opens: snippet palette and manager, fill-ins, brand voice."""
