"""Pure domain: roles, qualifications, protocol, calendar, statutory rules, errors.

No Flask, no SQLAlchemy, no SpiffWorkflow here (checked by import-linter).
"""
