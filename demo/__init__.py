"""Demo and generated data (`seed_demo`, `generate_data`): fills a database from every app.

The top layer: it imports every app, and no app imports it.
"""
