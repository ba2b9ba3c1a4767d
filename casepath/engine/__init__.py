"""The only code that imports SpiffWorkflow: parsing diagrams, the sandbox, running and saving instances."""
