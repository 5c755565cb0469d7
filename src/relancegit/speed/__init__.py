"""Speed machinery behind one door: caches, worker pools, output replay and GC control.

Domain modules (model, rules, engine, letters, site) import nothing from here; only the load
seam and the command layer do. `RELANCEGIT_NO_CACHE=1` closes the door: results are the same.
"""
