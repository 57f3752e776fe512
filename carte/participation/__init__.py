"""What residents do with a report once it is on the map: support it, comment, add photos, flag it.

Plain use cases over a SQLAlchemy session: no Flask request in here. Each one validates
its input first, writes in one transaction, and raises CarteError (nothing stored) otherwise.
"""
