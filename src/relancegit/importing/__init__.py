"""`relancegit import`: open invoices from a CSV export, the FEC or electronic invoices
(Factur-X, UBL, CII) into clients and cases.

Layer: one entry point, `run.run`, called by the command layer. Each reader turns a file into a
`Source` (`csvfile`, `fec`, `einvoice`), `plan` matches it against the ledger, `write` checks
the new files with the rules of `check` and writes them under the write lock, all or none.
The clock is never read here: `today` is given.
"""
