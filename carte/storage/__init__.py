"""Storage: the only package where SpatiaLite and PostGIS differ.

`engine.py` builds the engine options for each backend, `reports.py` and
`places.py` hold the queries, `setup.py` prepares a database (migrate, load, seed).
"""
