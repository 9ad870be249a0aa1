"""Read models for the web pages, one module per page family. Each function takes the acting
`Principal`, checks the role, and builds the tenant scope into its query (another tenant's object is
a `NotFound`, never a `Forbidden`), so the pages only translate and render. Nothing here writes
except `forms`, which records the one-time keys of the web forms."""
