"""Workshop mode: join codes, QR codes, participants' reports, the live projection, the synthesis.

Plain modules with no Flask routes: `carte/web/dashboard.py` and `carte/web/workshop.py` call them.
"""
