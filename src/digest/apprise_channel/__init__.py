"""Channel posts through Apprise: each edition posted once to each of a segment's URLs."""
