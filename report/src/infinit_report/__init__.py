"""infinit reports: monthly sales reports (HTML + PDF) and the Streamlit sales cockpit.

Both read the warehouse's `reports` schema through one query module (`queries`) and one
read-only connection, so a number in a PDF and the same number in the cockpit always agree.
"""

__version__ = "0.1.0"
