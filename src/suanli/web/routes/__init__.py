"""Page routers: every module here defines `router`, included by `suanli.web.app.install`."""
