"""The bilingual web UI (简体中文 default, English toggle): server-rendered pages over the services."""
