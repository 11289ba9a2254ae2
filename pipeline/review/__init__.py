"""The review station: a local web app over the batch results database where a person settles the
cells the pipeline could not confirm, from crops of the source PDF, keyboard first.

    python -m pipeline review --db results.sqlite [--port 8765] [--host H --token T] [--read-only]

Modules: `store` (corrections, kept in their own table; machine readings are never overwritten),
`model` (a report as the review station sees it: effective values, identities, review cells,
corrected contract JSON), `crops` (cell crops rendered from the source PDF, cached on disk),
`app` (the Starlette app and the command).
"""
