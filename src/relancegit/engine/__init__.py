"""Pure computation as of a date: allocation, status, next action, penalties, deadlines, portfolio.

Layer: typed `Ledger` + `today` -> derived states and figures. No file access, no clock,
no printing: every function takes `today` as an argument.
"""
