"""The civic loop: who answers a report (bodies), where it stands (progress), and its updates.

`bodies` is pure Python over the atlas; `updates` holds the use cases that write progress.
"""
