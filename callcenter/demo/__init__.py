"""The demo (``zhitong serve --demo``): real voices for the simulated callers, and the story it plays."""
