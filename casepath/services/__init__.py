"""Use-cases: one public function per unit of work (lock, load, act, save, audit, commit)."""
